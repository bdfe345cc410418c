#!/usr/bin/env bash
# Cross-checks a logscan binary against the independent reference implementation
# (scripts/native_reference.py) on the fixtures in testdata/native/, in both directions.
# Developer tool; prints one line per disagreement and a summary, exits 1 on any.
#
#   scripts/native-crosscheck.sh [LOGSCAN]     # default: .build/debug/logscan
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
L=$(realpath "${1:-.build/debug/logscan}")
R="${PYTHON:-python3} scripts/native_reference.py"
D=testdata/native
T=$(mktemp -d /tmp/native-crosscheck.XXXXXX)
trap 'rm -rf "$T"' EXIT
runs=0 bad=0
fail() { bad=$((bad + 1)); echo "DISAGREE: $*"; }

# 1. logscan reads the reference's logs
for log in sample lz4 base base-2seg; do
  for opt in "" --from=0 --from=1 --from=7 --from=20 --from=21 --from=56 --from=57 --from=73 --from=1000 \
             --from-time=-1 --from-time=0 --from-time=1700000000000 --from-time=1700000000200 \
             --from-time=1700000000301 --from-time=1700000000410 --from-time=1700000000501 \
             "--from=30 --from-time=1700000000100"; do
    runs=$((runs + 1))
    # shellcheck disable=SC2086
    "$L" replay --format jsonl "$D/$log" $opt > "$T/l" 2> "$T/le"; lrc=$?
    # shellcheck disable=SC2086
    $R dump "$D/$log" $opt > "$T/r" 2> "$T/re"; rrc=$?
    if ! cmp -s "$T/l" "$T/r" || [ $lrc != $rrc ]; then
      fail "replay $D/$log $opt: exit $lrc vs $rrc, $(wc -l < "$T/l") vs $(wc -l < "$T/r") lines; logscan: $(head -c 300 "$T/le")"
    fi
  done
done
for f in "$D"/damaged/*.seg "$D"/damaged/segment-gap "$D"/damaged/torn-not-last; do
  runs=$((runs + 1))
  stem=$(basename "$f" .seg)
  "$L" replay --format jsonl "$f" > "$T/l" 2> "$T/le"; lrc=$?
  $R dump "$f" > /dev/null 2> "$T/re"; rrc=$?
  if ! cmp -s "$T/l" "$D/damaged/$stem.expected.jsonl" || [ $lrc != $rrc ]; then
    fail "replay $f: exit $lrc vs $rrc, $(wc -l < "$T/l") vs $(wc -l < "$D/damaged/$stem.expected.jsonl") lines"
    echo "    logscan:   $(cat "$T/le")"
    echo "    reference: $(cat "$T/re")"
  fi
done

# 2. the reference reads logscan's logs (inputs have explicit timestamps, so logscan adds none)
i=0
for inp in sample lz4 base; do
  for lz in "" --lz4; do
    for sz in "--block-bytes 256 --segment-bytes 1536" "--block-bytes 100 --segment-bytes 600" \
              "--block-bytes 1 --segment-bytes 1" "--block-bytes 65536"; do
      i=$((i + 1)); runs=$((runs + 1)); w="$T/w$i"
      # shellcheck disable=SC2086
      "$L" write "$w" --input jsonl $lz $sz < "$D/$inp.input.jsonl" || { fail "logscan write $inp $lz $sz"; continue; }
      "$L" replay --format jsonl "$w" > "$T/l" 2> /dev/null
      $R dump "$w" > "$T/r" 2> "$T/re" || fail "dump of logscan's $inp $lz $sz: $(cat "$T/re")"
      cmp -s "$T/l" "$T/r" || fail "dump of logscan's $inp $lz $sz differs from logscan replay"
      # same records as the input (modulo path/position)
      for idx in "$w"/*.idx; do
        $R check-index "$idx" > /dev/null 2> "$T/ce" || fail "check-index $inp $lz $sz: $(cat "$T/ce")"
      done
    done
  done
done
echo "$runs runs, $bad disagreements"
[ $bad = 0 ]
