# Sourced by every scripts/bench-* script: the one launcher for the benchmark mains of pipeline/tools.
#   bench_build            build pipeline/tools and the modules it needs through the reactor (mvn package, tests
#                          skipped; nothing is installed into ~/.m2), unless TRACEDISTILL_NO_BUILD=1
#   bench_java MAIN ARGS   run io.tracedistill.tools.MAIN on that classpath: Spark's Java 17 opens, DJL offline,
#                          loopback binding and the glibc malloc settings (all from scripts/java-opens.sh), the
#                          launcher's log4j2 config; JVM flags from BENCH_JAVA_OPTS (default -Xmx4g). stderr is
#                          kept, and a failing JVM fails the calling script (set -euo pipefail there).
#                          BENCH_PIN (an array, e.g. (taskset -c 0)) prefixes the java command.
# The project's own jars are copied to a temporary directory first, so a rebuild during a long benchmark
# cannot change the code under measurement.
TD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$TD_ROOT/scripts/java-opens.sh"

BENCH_PIN=()

bench_build() {
  if [[ "${TRACEDISTILL_NO_BUILD:-0}" != 1 ]]; then
    # -DskipLoopbackIT: the spark module runs its *IT tests in an execution of its own that maven.test.skip does
    # not reach (pipeline/spark/pom.xml).
    mvn -B -q -ntp -f "$TD_ROOT/pom.xml" -pl pipeline/tools -am package -Dmaven.test.skip=true -DskipLoopbackIT=true >&2
  fi
  local cp_file="$TD_ROOT/pipeline/tools/target/classpath.txt"
  [[ -f "$cp_file" ]] || { echo "bench: missing $cp_file: run without TRACEDISTILL_NO_BUILD=1 once" >&2; exit 2; }
  BENCH_SNAPSHOT="$(mktemp -d "${TMPDIR:-/tmp}/tracedistill-bench-cp.XXXXXX")"
  trap 'rm -rf "$BENCH_SNAPSHOT"' EXIT
  cp -r "$TD_ROOT/pipeline/tools/target/classes" "$BENCH_SNAPSHOT/tools-classes"
  BENCH_CP="$BENCH_SNAPSHOT/tools-classes"
  local entries e
  IFS=: read -r -a entries < "$cp_file" || true   # no trailing newline: read returns 1 at EOF
  for e in "${entries[@]}"; do
    if [[ "$e" == "$TD_ROOT"/* ]]; then   # a sibling module's target/*.jar
      cp "$e" "$BENCH_SNAPSHOT/"
      e="$BENCH_SNAPSHOT/$(basename "$e")"
    fi
    BENCH_CP="$BENCH_CP:$e"
  done
}

bench_java() {
  local main="$1"
  shift
  # shellcheck disable=SC2086
  "${BENCH_PIN[@]}" java ${BENCH_JAVA_OPTS:--Xmx4g} "${TD_JAVA_OPENS[@]}" "${TD_JAVA_PROPS[@]}" \
    -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
    -Dlog4j2.configurationFile="$TD_ROOT/jobs/src/main/resources/log4j2.properties" \
    -cp "$BENCH_CP" "io.tracedistill.tools.$main" "$@"
}

bench_load() {
  echo "load average $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}
