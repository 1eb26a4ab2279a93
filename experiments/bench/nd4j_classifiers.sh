#!/usr/bin/env bash
# Compares ND4J 1.0.0-M2.1's native classifiers (linux-x86_64, -avx2, -avx512) with
# Nd4jClassifierBench.java (GEMM + elementwise), rounds interleaved so background load hits all
# alike. Needs a built project (./tokenrl --help builds it) and Maven Central for the two extra jars.
#   experiments/bench/nd4j_classifiers.sh [ROUNDS]   (default 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIB="$ROOT/trainer/target/lib"
JARS="$ROOT/experiments/bench/target/nd4j-classifiers"
ROUNDS="${1:-2}"
VERSION=1.0.0-M2.1
mkdir -p "$JARS"
for c in linux-x86_64-avx2 linux-x86_64-avx512; do
  [[ -f "$JARS/nd4j-native-$VERSION-$c.jar" ]] || mvn -B -ntp -q dependency:copy \
    -Dartifact="org.nd4j:nd4j-native:$VERSION:jar:$c" -DoutputDirectory="$JARS"
done
cp -n "$LIB/nd4j-native-$VERSION-linux-x86_64.jar" "$JARS/"
# Everything but the native classifier jar, which each run adds back.
BASE="$(ls "$LIB"/*.jar | grep -v "nd4j-native-$VERSION-linux-x86_64.jar" | tr '\n' ':')"
export OMP_NUM_THREADS=1
FLAGS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
  -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=3g ${ND4J_BENCH_OPTS:-})
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for round in $(seq "$ROUNDS"); do
  for c in linux-x86_64 linux-x86_64-avx2 linux-x86_64-avx512; do
    echo "# round $round $c, load $(cut -d' ' -f1-3 /proc/loadavg)"
    java "${FLAGS[@]}" -cp "$BASE$JARS/nd4j-native-$VERSION-$c.jar" \
      "$ROOT/experiments/bench/Nd4jClassifierBench.java" "$c" 2>/dev/null | grep "^$c"
  done
done
