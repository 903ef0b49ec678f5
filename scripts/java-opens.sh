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
