#!/usr/bin/env bash
# Regenerates testdata/native/ (native-format fixtures) deterministically with the
# independent Python implementation scripts/native_reference.py (written from
# docs/FORMAT.md alone). Developer tool: CI only reads the committed files.
#
#   scripts/make-native-fixtures.sh
#
# Needs Python 3.11+ with the crc32c and lz4 packages. Every file is byte-for-byte
# reproducible: created time 0, page size 4096, fixed random seeds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"              # expected outputs name files relative to the repo root
PY=${PYTHON:-python3}
REF="$PY scripts/native_reference.py"
FX="$PY scripts/native_fixtures.py"
D=testdata/native

rm -rf "$D"
mkdir -p "$D"
printf '# Fixtures are compared byte for byte: never convert line endings.\n* -text\n' > "$D/.gitattributes"
$FX inputs "$D"

# sample: >= 3 segments, raw and LZ4 blocks, a record bigger than a block and one bigger
# than a segment
$REF write "$D/sample" --lz4 --block-bytes 256 --segment-bytes 1536 < "$D/sample.input.jsonl"
# lz4: one segment, every block LZ4
$REF write "$D/lz4" --lz4 --block-bytes 512 < "$D/lz4.input.jsonl"
# base: the segment the damaged copies are made from; base-2seg: same records, 2 segments
$REF write "$D/base" --lz4 --block-bytes 1300 < "$D/base.input.jsonl"
$REF write "$D/base-2seg" --lz4 --block-bytes 1300 --segment-bytes 4000 < "$D/base.input.jsonl"

for log in sample lz4 base base-2seg; do
  $REF dump "$D/$log" > "$D/$log.expected.jsonl"
  for idx in "$D/$log"/*.idx; do $REF check-index "$idx" > /dev/null; done
done

$FX damage "$D/base" "$D/damaged"
$FX check "$D"
du -sh --apparent-size "$D"
