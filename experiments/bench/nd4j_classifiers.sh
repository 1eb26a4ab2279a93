#!/usr/bin/env bash
# Compares ND4J 1.0.0-M2.1's native classifiers (linux-x86_64, -avx2, -avx512), each with the
# bundled OpenBLAS 0.3.19 and, as "+system-openblas", with Debian's 0.3.21 loaded the way the
# launcher does, using Nd4jClassifierBench.java (GEMM + elementwise). Rounds are interleaved so
# background load hits all variants alike. Needs a built project (./tokenrl --help builds it) and
# Maven Central for the two extra jars.
#   experiments/bench/nd4j_classifiers.sh [ROUNDS] [VARIANT...]   (default 2 rounds, all variants)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIB="$ROOT/cli/target/lib"
JARS="$ROOT/experiments/bench/target/nd4j-classifiers"
ROUNDS="${1:-2}"
shift || true
VARIANTS=("$@")
if [[ ${#VARIANTS[@]} -eq 0 ]]; then
  VARIANTS=(linux-x86_64 linux-x86_64-avx2 linux-x86_64-avx512
    linux-x86_64+system-openblas linux-x86_64-avx2+system-openblas linux-x86_64-avx512+system-openblas)
fi
SYSTEM_BLAS=(/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r*.so)
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
  for v in "${VARIANTS[@]}"; do
    c="${v%+system-openblas}"
    blas=()
    if [[ "$v" == *+system-openblas ]]; then
      [[ -f "${SYSTEM_BLAS[-1]}" ]] || { echo "# $v skipped: no Debian OpenBLAS"; continue; }
      name="$(basename "${SYSTEM_BLAS[-1]}" .so)"
      blas=("-Djava.library.path=$(dirname "${SYSTEM_BLAS[-1]}")" "-Dorg.bytedeco.openblas.load=${name#lib}"
        "-Dorg.bytedeco.javacpp.cachedir=$HOME/.javacpp/cache-${name#lib}")
    fi
    echo "# round $round $v, load $(cut -d' ' -f1-3 /proc/loadavg)"
    java "${FLAGS[@]}" "${blas[@]}" -cp "$BASE$JARS/nd4j-native-$VERSION-$c.jar" \
      "$ROOT/experiments/bench/Nd4jClassifierBench.java" "$v" 2>/dev/null | grep -F "$v "
  done
done
