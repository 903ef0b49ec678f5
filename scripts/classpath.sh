# Sourced by the launchers: builds the project once if needed and sets TD_CLASSPATH.
# TRACEDISTILL_REBUILD=1 forces a rebuild (after editing sources).
TD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
td_cp_file="$TD_ROOT/jobs/target/classpath.txt"
if [[ "${TRACEDISTILL_REBUILD:-0}" == 1 || ! -f "$td_cp_file" || ! -d "$TD_ROOT/jobs/target/classes" ]]; then
  echo "tracedistill: building (mvn -DskipTests install; the first build downloads ~700 MB of dependencies)..." >&2
  mvn -B -q -ntp -f "$TD_ROOT/pom.xml" -DskipTests install >&2
fi
TD_CLASSPATH="$TD_ROOT/jobs/target/classes:$(cat "$td_cp_file")"
