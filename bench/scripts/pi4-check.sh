#!/usr/bin/env bash
# Correctness on a Raspberry Pi 4's CPU (Cortex-A72, aarch64, Debian's OpenJDK 17) under QEMU emulation:
#   bench/scripts/pi4-check.sh [--quick | --goldens-only | --classes io.kompakt.ops.sparse.SparseKernelsTest,...]
# 1. the kernel tests of ops/ (JUnit's console launcher on the emulated JVM; --quick: the conv/dense ones only;
#    --classes: those test classes only),
# 2. golden runs: shared models on their golden inputs, outputs compared with ../shared/golden-tflm (byte for byte)
#    and ../shared/golden (float tolerance / top-1), through `kompakt run --save`.
# Timings under emulation mean nothing. Needs ../shared/tools/pi4-emu (or KOMPAKT_SHARED) and a built project.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${KOMPAKT_SHARED:-$root/../shared}
emu=$shared/tools/pi4-emu/run.sh
[ -x "$emu" ] || [ -f "$emu" ] || { echo "pi4-check: $emu not found" >&2; exit 2; }
[ -f "$root/cli/target/kompakt.jar" ] && [ -d "$root/ops/target/test-classes" ] || (cd "$root" && mvn -q -DskipTests install && mvn -q -pl ops test-compile)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$root" && mvn -q -pl ops dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test >/dev/null)
launcher=$work/console.jar
(cd "$work" && mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 -DoutputDirectory="$work" >/dev/null)
mv "$work"/junit-platform-console-standalone-*.jar "$launcher"
# a snapshot of the compiled classes, so that a rebuild meanwhile cannot pull them away from the slow emulated run
for d in ops/target/test-classes ops/target/classes engine/target/classes flatbuffer-schema/target/classes; do
  mkdir -p "$work/classes/$d" && cp -r "$root/$d/." "$work/classes/$d/"
done
cp -r "$root/cli/target/kompakt.jar" "$work/kompakt.jar"
c=$work/classes
cp=$c/ops/target/test-classes:$c/ops/target/classes:$c/engine/target/classes:$c/flatbuffer-schema/target/classes:$(cat "$work/cp.txt")
select=(--select-package io.kompakt.ops)
[ "${1:-}" = "--quick" ] && select=(--select-package io.kompakt.ops.conv --select-package io.kompakt.ops.dense)
if [ "${1:-}" = "--classes" ]; then
  [ -n "${2:-}" ] || { echo "pi4-check: --classes needs a comma-separated list of test classes" >&2; exit 2; }
  select=(); IFS=, read -ra classes <<< "$2"; for k in "${classes[@]}"; do select+=(--select-class "$k"); done
fi
fail=0
if [ "${1:-}" != "--goldens-only" ]; then
  echo "pi4-check: kernel tests on the emulated Cortex-A72 (slow) ..."
  bash "$emu" java --add-modules jdk.incubator.vector -XX:TypeProfileLevel=222 -Dkompakt.allocationBudgetMs=120000 -Xmx1g -jar "$launcher" execute --class-path "$cp" "${select[@]}" \
    --details=summary --disable-banner > "$work/tests.log" 2>&1 || fail=1
  grep -v "^WARNING: Using incubator" "$work/tests.log" | tail -40
fi
echo "pi4-check: golden runs ..." 
for m in tf2_mobilenet_v2_1.0_224_ptq hello_world_int8 simple_add_model; do
  in=$shared/golden/$m/random-1; want=$shared/golden-tflm/$m/random-1
  args=(); for f in "$in"/input_*.bin; do args+=("$f"); done
  bash "$emu" java --add-modules jdk.incubator.vector -XX:TypeProfileLevel=222 -jar "$work/kompakt.jar" run "$shared/models/$m.tflite" "${args[@]}" \
    --top 0 --save "$work/$m" >/dev/null 2>&1 || { echo "  $m: run failed"; fail=1; continue; }
  if cmp -s "$work/$m/output_0.bin" "$want/output_0.bin"; then echo "  $m: byte-identical to TFLite's reference kernels"; else echo "  $m: DIFFERS"; fail=1; fi
done
m=mobilenet_v1_0.25_224_1_default_1
bash "$emu" java --add-modules jdk.incubator.vector -XX:TypeProfileLevel=222 -jar "$work/kompakt.jar" run "$shared/models/$m.tflite" \
  "$shared/golden/$m/image-cat/input_0.bin" --top 0 --save "$work/$m" >/dev/null 2>&1
python3 - "$work/$m/output_0.bin" "$shared/golden/$m/image-cat/output_0.bin" <<'PY' || fail=1
import struct, sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
x = struct.unpack("<%df" % (len(a) // 4), a); y = struct.unpack("<%df" % (len(b) // 4), b)
bad = [i for i in range(len(y)) if abs(x[i] - y[i]) > 1e-4 * abs(y[i]) + 1e-5]
print(f"  {'mobilenet_v1_0.25_224 (float)'}: {'within 1e-4 of TFLite' if not bad else str(len(bad)) + ' values outside 1e-4'}; top-1 {max(range(len(x)), key=x.__getitem__)} vs {max(range(len(y)), key=y.__getitem__)}")
sys.exit(1 if bad else 0)
PY
exit $fail
