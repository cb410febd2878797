#!/usr/bin/env bash
# Regenerates the committed Java of the TFLite schema and the TFLite Metadata schema.
#   flatbuffer-schema/regenerate.sh [OUT_DIR]   (default: this module's src/main/java)
# Needs Debian's flatc 2.0.8 (apt-get install flatbuffers-compiler) and ../shared/reference beside the repo
# (or KOMPAKT_SHARED). The schema itself is not copied into the project: only the Java made from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${KOMPAKT_SHARED:-$here/../../shared}
out=${1:-$here/src/main/java}
schema=$shared/reference/tflite-schema-flatc2.fbs      # flatc 2.0.8 rejects three '(deprecated)' marks of tflite-schema.fbs
metadata=$shared/reference/tflite-metadata-schema.fbs
command -v flatc >/dev/null || { echo "regenerate.sh: flatc not found (apt-get install flatbuffers-compiler)" >&2; exit 2; }
[ -f "$schema" ] || { echo "regenerate.sh: $schema not found (set KOMPAKT_SHARED)" >&2; exit 2; }
flatc --version | grep -q '2.0.8' || echo "regenerate.sh: warning: flatc is not 2.0.8 (flatbuffers-java is pinned to 2.0.8)" >&2

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gen() { # schema, package
  local pkg=$2 dir=${2//.//}
  flatc --java -o "$tmp/flatc" "$1"
  rm -rf "$out/$dir"; mkdir -p "$out/$dir"
  for f in "$tmp/flatc/tflite/"*.java; do
    sed -e "s/^package tflite;/package $pkg;/" -e "s/\btflite\./$pkg./g" "$f" > "$out/$dir/$(basename "$f")"
  done
  rm -rf "$tmp/flatc"
}
gen "$schema" io.kompakt.schema.tflite
gen "$metadata" io.kompakt.schema.metadata
java "$here/tools/FbsLayoutGen.java" "$schema" "$out" io.kompakt.schema.tflite TfliteLayout
java "$here/tools/FbsLayoutGen.java" "$metadata" "$out" io.kompakt.schema.metadata MetadataLayout
echo "regenerated into $out"
