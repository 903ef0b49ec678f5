# Sourced by the launchers: builds the project once if needed and sets TD_CLASSPATH.
# The build runs when the classpath file is missing or names a jar that is not there (e.g. after
# `mvn verify`, which does not install the sibling modules). TRACEDISTILL_REBUILD=1 forces it.
TD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
td_cp_file="$TD_ROOT/jobs/target/classpath.txt"
td_need_build="${TRACEDISTILL_REBUILD:-0}"
if [[ ! -f "$td_cp_file" || ! -d "$TD_ROOT/jobs/target/classes" ]]; then
  td_need_build=1
else
  IFS=: read -ra td_parts < "$td_cp_file" || true   # no trailing newline: read returns 1 at EOF
  for td_p in "${td_parts[@]}"; do
    [[ -e "$td_p" ]] || { td_need_build=1; break; }
  done
fi
if [[ "$td_need_build" == 1 ]]; then
  echo "tracedistill: building (mvn -DskipTests install; the first build downloads ~700 MB of dependencies)..." >&2
  mvn -B -q -ntp -f "$TD_ROOT/pom.xml" -DskipTests install >&2
fi
TD_CLASSPATH="$TD_ROOT/jobs/target/classes:$(cat "$td_cp_file")"
