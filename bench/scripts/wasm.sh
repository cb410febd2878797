#!/usr/bin/env bash
# Kompakt vs TFLite's WebAssembly build (the oracle tool, XNNPACK SIMD, 1 thread) on every shared model both run:
#   bench/scripts/wasm.sh [RUNS]
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
shared=${KOMPAKT_SHARED:-$here/../shared}
runs=${1:-30}
printf "| model | TFLite WASM median ms | Kompakt median ms | Kompakt / WASM |\n|---|---|---|---|\n"
for f in "$shared"/models/*.tflite; do
  n=$(basename "$f" .tflite)
  w=$(bash "$shared/tools/tflite-oracle/oracle.sh" bench "$f" "$runs" 2>/dev/null | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['median_ms'])" 2>/dev/null) || w=""
  k=$("$here/kompakt" bench "$f" --runs "$runs" --warmup 20 --json 2>/dev/null | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['median_ms'])" 2>/dev/null) || k=""
  if [ -n "$w" ] && [ -n "$k" ]; then
    printf "| %s | %.4f | %.4f | %.2f |\n" "$n" "$w" "$k" "$(python3 -c "print($k / $w)")"
  else
    printf "| %s | %s | %s | - |\n" "$n" "${w:-refused}" "${k:-refused}"
  fi
done
