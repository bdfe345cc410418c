#!/usr/bin/env bash
# Regenerates testdata/ (the committed ground-truth fixtures) from the shared corpus
# generators. Developer tool: CI only uses the committed files.
#
#   scripts/make-fixtures.sh            # regenerate into testdata/
#   scripts/make-fixtures.sh /tmp/x     # write the fixtures somewhere else (e.g. to diff)
#   KEEP_TMP=1 scripts/make-fixtures.sh # keep the full generator output (path printed)
#
# Needs what /work/shared/corpus/setup.sh installs: rocksdb-tools 7.8.3 (ldb),
# librocksdb7.8, libleveldb-dev + g++, and the Python packages kafka-python, lz4, plyvel,
# rocksdict (crc32c optional). LOGSCAN_CORPUS points at the generators.
#
# The WAL / log / segment bytes are deterministic (fixed seeds below). The other files in
# a DB directory (IDENTITY, MANIFEST-*, OPTIONS-*, LOG, *.sst) contain random ids and
# timestamps, so they change on every run; so does manifest.json where it quotes them.
#
# Seeds and sizes were picked so that each fixture stays small and still exercises what it
# is for; `fixtures.py check` fails if a fixture lost its point (see testdata/README.md).
set -euo pipefail

CORPUS=${LOGSCAN_CORPUS:-/work/shared/corpus}
export LOGSCAN_CORPUS=$CORPUS
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/testdata}   # optional argument: another output directory
PY=${PYTHON:-python3}
FX="$PY $ROOT/scripts/fixtures.py"
TMP=$(mktemp -d /tmp/logscan-fixtures.XXXXXX)
if [ -z "${KEEP_TMP:-}" ]; then trap 'rm -rf "$TMP"' EXIT; fi

# after-crafted values 40000 -> 3000 bytes, last-big 100000 -> 70000 bytes (see fixtures.py)
export FX_AFTER=3000 FX_LAST=70000

rocks() {  # variant seed batches [extra generator args]
  local v=$1 seed=$2 batches=$3; shift 3
  $FX gen gen_rocksdb_wal --out "$TMP/rocksdb-$v" --variants "$v" --seed "$seed" --batches "$batches" "$@"
}
rocks plain        5 24 --big-p 0
rocks zstd         3 24 --max-big 39000
rocks recycle      11 24 --big-p 0.15 --max-big 34000
rocks recycle-zstd 3 40 --big-p 0
rocks v9           5 14 --big-p 0

# ldb edge cases: real TransactionDB / timestamp / PutEntity WALs + hand-built WALs
$PY "$ROOT/scripts/ldb_cases.py" "$TMP/ldb-cases"

$FX gen gen_leveldb_log --out "$TMP/leveldb" --seed 1 --batches 8 --big-p 0

KAFKA_SMALL=(--max-records 6 --segment-bytes 16384 --max-value 24000 --index-bytes 4096)
$FX gen gen_kafka_segments --out "$TMP/kafka" --seed 2 --batches 40 "${KAFKA_SMALL[@]}"
$FX gen gen_kafka_segments --out "$TMP/kafka-gzip" --seed 3 --batches 16 "${KAFKA_SMALL[@]}" \
  --codecs none,lz4,gzip --topic logscan-gzip

mkdir -p "$DEST"
printf '# Fixtures are compared byte for byte: never convert line endings.\n* -text\n' > "$DEST/.gitattributes"
$FX collect "$TMP" "$DEST"
$FX check "$DEST"
[ -n "${KEEP_TMP:-}" ] && echo "generator output kept in $TMP"
du -sh --apparent-size "$DEST"
