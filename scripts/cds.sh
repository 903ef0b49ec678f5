# Sourced by scripts/tracedistill after classpath.sh: Class Data Sharing for the launcher (JDK 17 dynamic archive).
# A cold `tracedistill prepare` spent a third of its driver-thread CPU samples loading classes from jars (JFR,
# 100k rows): Spark, Hadoop, Parquet and Scala are ~10k classes, parsed and verified on every start. The first run
# with a given classpath writes an archive of the classes it loaded at exit (-XX:ArchiveClassesAtExit); every later
# run maps it (-XX:SharedArchiveFile) instead of loading those classes again.
#   Sets TD_CDS_OPTS (JVM flags) and TD_CDS_CP (the classpath to launch with: the jobs jar instead of
#   jobs/target/classes, since a CDS archive refuses a non-empty directory on the classpath). Leaves both empty/as is
#   unless TD_CDS=1 (opt-in: see the README, issue 16 section), when the jobs jar is missing or older than a compiled class (e.g. after `mvn compile`), or for
#   another reason CDS cannot be used; the job then runs as before, only without the archive.
#   Archives: TD_CDS_DIR (default ~/.cache/tracedistill/cds), one per classpath + JDK + project-jar build (the name is
#   a hash of them, so a rebuild makes a new one, and the command: each loads other classes); the 6 newest are kept. A new archive is written under a temporary
#   name and renamed by td_cds_finish after the JVM exits, so two first runs at once cannot leave a torn file.
TD_CDS_OPTS=()
TD_CDS_CP="$TD_CLASSPATH"
TD_CDS_NEW=""
td_cds_setup() {
  [[ "${TD_CDS:-0}" == 1 ]] || return 0
  # One archive per command: a `help` or `plan` loads none of Spark, and its archive would serve a `prepare` badly.
  local command="${1:-none}"
  [[ "$command" == -* ]] && command=run   # the reference's form, `tracedistill --cfg FILE`, is a full run
  [[ "$command" =~ ^[a-z-]+$ ]] || command=other
  local classes="$TD_ROOT/jobs/target/classes" jar java_bin key dir
  jar=$(ls "$TD_ROOT"/jobs/target/tracedistill-jobs-*.jar 2>/dev/null | grep -v -- '-all\.jar$' | head -1)
  [[ -n "$jar" && -f "$jar" ]] || return 0
  [[ -z "$(find "$classes" -type f -newer "$jar" -print -quit 2>/dev/null)" ]] || return 0
  local cp="$jar:${TD_CLASSPATH#"$classes":}"
  java_bin=$(readlink -f "$(command -v java)") || return 0
  local -a parts
  IFS=: read -ra parts <<< "$cp"
  # The project's own jars change on rebuild; Maven repository jars are immutable per version.
  key=$( { echo "$java_bin"; echo "$cp"; for p in "${parts[@]}"; do
      if [[ "$p" == "$TD_ROOT"/* ]]; then stat -c '%n %s %Y' "$p"; fi; done; } | sha1sum | cut -c1-16) || return 0
  key="$key-$command"
  dir="${TD_CDS_DIR:-$HOME/.cache/tracedistill/cds}"
  mkdir -p "$dir" 2>/dev/null || return 0
  TD_CDS_CP="$cp"
  if [[ -s "$dir/$key.jsa" ]]; then
    TD_CDS_OPTS=(-XX:SharedArchiveFile="$dir/$key.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  else
    TD_CDS_NEW="$dir/$key.jsa"
    TD_CDS_OPTS=(-XX:ArchiveClassesAtExit="$dir/$key.jsa.$$.tmp" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}
# After the JVM exited: publish a newly written archive and keep the 6 newest.
td_cds_finish() {
  [[ -n "$TD_CDS_NEW" ]] || return 0
  if [[ -s "$TD_CDS_NEW.$$.tmp" ]]; then
    mv -f "$TD_CDS_NEW.$$.tmp" "$TD_CDS_NEW" 2>/dev/null || rm -f "$TD_CDS_NEW.$$.tmp"
    ls -t "$(dirname "$TD_CDS_NEW")"/*.jsa 2>/dev/null | tail -n +7 | xargs -r rm -f
  else
    rm -f "$TD_CDS_NEW.$$.tmp"
  fi
}
td_cds_setup "$@"
