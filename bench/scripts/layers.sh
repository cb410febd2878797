#!/usr/bin/env bash
# Per layer: Kompakt's time for each CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED of a network as a ratio of
# XNNPACK's time for the same layer shape, on this machine in one go:
#   bench/scripts/layers.sh MODEL.tflite [--float] [--runs N]
# Kompakt's figure is the op's mean time inside whole-network runs (kompakt bench --json, by_op); XNNPACK's is the
# layer alone (xnnbench --layers, median). --float: a quantized model as its float network (both sides).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
shared=${KOMPAKT_SHARED:-$here/../shared}
model=""; float=0; runs=50
while [ $# -gt 0 ]; do
  case $1 in --float) float=1; shift;; --runs) runs=$2; shift 2;; -h|--help) sed -n 2,6p "$0"; exit 0;; *) model=$1; shift;; esac
done
[ -f "$model" ] || { echo "layers.sh: give a .tflite file" >&2; exit 2; }
JAVA=${JAVA:-java}
jar=$here/cli/target/kompakt.jar
vec=(); "$JAVA" --add-modules jdk.incubator.vector -version >/dev/null 2>&1 && vec=(--add-modules jdk.incubator.vector -XX:TypeProfileLevel=222)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
kmodel=$model; xflag=()
if [ $float = 1 ]; then kmodel=$work/float.tflite; "$JAVA" "${vec[@]}" -jar "$jar" dequantize "$model" -o "$kmodel" >/dev/null 2>&1; xflag=(--dequantize); fi
bash "$shared/anchors/xnnpack/run.sh" "$model" --layers "${xflag[@]}" > "$work/xnn.tsv" 2>/dev/null
"$JAVA" "${vec[@]}" -jar "$jar" bench "$kmodel" --runs "$runs" --warmup 20 --json 2>/dev/null > "$work/k.json"
python3 - "$work/xnn.tsv" "$work/k.json" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
head, rows = rows[0], rows[1:]
k = json.load(open(sys.argv[2]))
byop = {o["index"]: o["ms"] for o in k["by_op"]}
print("| op # | op | input | filter | stride | XNNPACK us | Kompakt us | ratio |")
print("|---|---|---|---|---|---|---|---|")
tot_x = tot_k = 0.0
for r in rows:
    d = dict(zip(head, r)); i = int(d["index"]); x = float(d["median_us"])
    kus = byop.get(i)
    if kus is None: continue
    kus *= 1000; tot_x += x; tot_k += kus
    print(f"| {i} | {d['op']} | {d['input']} | {d['filter']} | {d['stride']} | {x:.1f} | {kus:.1f} | {kus / x:.2f} |")
print(f"| all | | | | | {tot_x:.0f} | {tot_k:.0f} | {tot_k / tot_x:.2f} |")
PY
