# Sourced by every launcher: the JVM flags Spark needs on Java 17 (Spark's own JavaModuleOptions set),
# DJL offline, headless charts, and loopback binding for local masters.
# The same --add-opens list is in the root pom.xml (surefire argLine); keep the two equal.
TD_JAVA_OPENS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
)
# The launcher's JVM options when TD_JAVA_OPTS is unset: these are batch jobs, and the throughput collector made the
# 1M-row prepare on local[2] 16.3 s instead of 20.0 s with G1 (scripts/bench-prepare). The benchmarks that time what
# `scripts/tracedistill` runs (bench-prepare, bench-model's DJL side) use the same.
TD_JAVA_OPTS_DEFAULT="-Xmx8g -XX:+UseParallelGC"
# `tracedistill train` (and bench-model's DJL side, which times its step): the C1 compiler only. Its CPU goes to
# libtorch; the Java around each op is JNI glue that C2 makes no faster (tiny-nemotron-h, 1 thread, steady CPU per
# step 26.7-28.3 ms C1-only vs 27.7-29.0 ms), while C2 spent 1.3-1.8 s of compiler CPU in a run's first steps, a core
# taken from libtorch's threads on a small machine. bench-model, 2 threads, steps 3-22 of a fresh JVM: 0.93x the
# reference's tokens/s on tiny-nemotron-h against 0.70x with C2. The quickstart's train, whole process, 4 alternating
# pairs: 99.1 s mean (user CPU 111 s) C1-only vs 102.2 s (123 s), within this VM's +-20% swing in wall time (README,
# Benchmarks). Not for the Spark data jobs (prepare, tokenize, `run`), whose time is Java. TD_JAVA_OPTS replaces it.
TD_TRAIN_JAVA_OPTS="$TD_JAVA_OPTS_DEFAULT -XX:TieredStopAtLevel=1"
TD_JAVA_PROPS=(
  -Dai.djl.offline=true
  -Djava.awt.headless=true
)
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# glibc malloc: keep freed native memory instead of returning fresh pages for every large libtorch
# buffer; measured: LoRA backward 2.4x slower without these (see pipeline/model package-info).
export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-268435456}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
