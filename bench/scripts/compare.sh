#!/usr/bin/env bash
# Kompakt's latency as a ratio of the speed anchors, measured in the same run:
#   bench/scripts/compare.sh MODEL.tflite [--rounds R] [--runs N] [--warmup N] [--threads T] [--float] [--kernels KIND]
# Rounds alternate the engines (Kompakt, XNNPACK, ONNX Runtime Java); each engine's figure is the median of its
# round medians. --float times a quantized model as its float network (kompakt dequantize; XNNPACK --dequantize;
# ORT --float). Needs ../shared/anchors beside the repository (or KOMPAKT_SHARED). $JAVA picks the JVM for Kompakt.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
shared=${KOMPAKT_SHARED:-$here/../shared}
model=""; rounds=5; runs=30; warmup=5; threads=1; float=0; kernels=auto
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2;; --runs) runs=$2; shift 2;; --warmup) warmup=$2; shift 2;;
    --threads) threads=$2; shift 2;; --float) float=1; shift;; --kernels) kernels=$2; shift 2;;
    -h|--help) sed -n 2,6p "$0"; exit 0;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2;;
    *) model=$1; shift;;
  esac
done
[ -n "$model" ] && [ -f "$model" ] || { echo "compare.sh: give a .tflite file" >&2; exit 2; }
[ -d "$shared/anchors" ] || { echo "compare.sh: $shared/anchors not found (set KOMPAKT_SHARED)" >&2; exit 2; }
JAVA=${JAVA:-java}
jar=$here/cli/target/kompakt.jar
[ -f "$jar" ] || (cd "$here" && mvn -q -DskipTests install >&2)
vec=(); "$JAVA" --add-modules jdk.incubator.vector -version >/dev/null 2>&1 && vec=(--add-modules jdk.incubator.vector -XX:TypeProfileLevel=222)
kmodel=$model; xflag=(); oflag=()
if [ $float = 1 ]; then
  kmodel=$(mktemp --suffix=.tflite); trap 'rm -f "$kmodel"' EXIT
  "$JAVA" "${vec[@]}" -jar "$jar" dequantize "$model" -o "$kmodel" >&2
  xflag=(--dequantize); oflag=(--float)
fi
out=$(mktemp -d); trap 'rm -rf "$out"; [ $float = 1 ] && rm -f "$kmodel"' EXIT
for r in $(seq 1 "$rounds"); do
  "$JAVA" "${vec[@]}" -jar "$jar" bench "$kmodel" --runs "$runs" --warmup "$warmup" --threads "$threads" --kernels "$kernels" --json \
    2>/dev/null > "$out/kompakt-$r.json"
  bash "$shared/anchors/xnnpack/run.sh" "$model" --threads "$threads" --runs "$runs" --warmup "$warmup" "${xflag[@]}" --json \
    2>/dev/null > "$out/xnnpack-$r.json" || echo '{}' > "$out/xnnpack-$r.json"
  bash "$shared/anchors/onnxruntime-java/run.sh" "$model" "${oflag[@]}" --threads "$threads" --runs "$runs" --warmup "$warmup" --json \
    2>/dev/null > "$out/ort-$r.json" || echo '{}' > "$out/ort-$r.json"
  echo "round $r of $rounds done" >&2
done
python3 - "$out" "$rounds" "$model" "$threads" "$float" <<'PY'
import json, statistics, sys, os
out, rounds, model, threads, flt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
def med(engine):
    vals = []
    for r in range(1, rounds + 1):
        try:
            text = open(os.path.join(out, f"{engine}-{r}.json")).read()
            j = json.loads(text[text.index("{"):])
            if "median_ms" in j: vals.append(float(j["median_ms"]))
        except (ValueError, OSError):
            pass
    return (statistics.median(vals), len(vals)) if vals else (None, 0)
k, kn = med("kompakt"); x, xn = med("xnnpack"); o, on = med("ort")
print(f"model {os.path.basename(model)}{' (as float)' if flt else ''}, {threads} thread(s), {rounds} rounds (median of round medians)")
for name, v, n in (("Kompakt", k, kn), ("XNNPACK", x, xn), ("ONNX Runtime Java", o, on)):
    print(f"  {name:18s} {('%.3f ms' % v) if v is not None else 'n/a':>12s}  ({n} rounds)")
if k is not None:
    if x: print(f"  Kompakt / XNNPACK            {k / x:8.2f}x")
    if o: print(f"  Kompakt / ONNX Runtime Java  {k / o:8.2f}x")
PY
