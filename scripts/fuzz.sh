#!/usr/bin/env bash
# Builds logscan-fuzz with libFuzzer and AddressSanitizer (release: in debug
# builds ASan misses raw-pointer overruns) and runs every target for a while,
# seeded from testdata. Crashes land in testdata/fuzz/<target>/ as
# regression inputs (FuzzRegressionTests replays them in every `swift test`).
#
#   scripts/fuzz.sh                  # every target, 30 s each (what CI runs)
#   scripts/fuzz.sh --seconds 1800 native-segment   # one long run
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(native-segment native-index lz4-block search prefilter kafka-segment kafka-index kafka-codecs wal-log write-batch)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

scratch=.build-fuzz
swift build -c release --scratch-path "$scratch" --product logscan-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld 2>&1 | tail -1
binary="$scratch/release/logscan-fuzz"
work=$(mktemp -d /tmp/logscan-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

seed() {  # seed corpus for a target: what testdata holds of its kind
  local target=$1 dir=$work/corpus-$1
  mkdir -p "$dir"
  case "$target" in
    native-segment|lz4-block) find testdata/native -name '*.seg' -size -256k -exec cp {} "$dir"/ \; ;;
    native-index) find testdata/native -name '*.idx' -exec cp {} "$dir"/ \; ;;
    kafka-segment)
      find testdata/kafka -name '*.log' -size -256k | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
    kafka-index)  # first byte: 0 offset index, 1 time index; then an 8-byte probe
      for f in testdata/kafka/clean/*/*.index testdata/kafka/live/*/*.index; do
        { printf '\000\020\000\000\000\000\000\000\000'; cat "$f"; } > "$dir/$(echo "$f" | tr / _)"
      done
      for f in testdata/kafka/clean/*/*.timeindex testdata/kafka/live/*/*.timeindex; do
        { printf '\001\000\000\000\000\000\000\000\000'; cat "$f"; } > "$dir/$(echo "$f" | tr / _)"
      done ;;
    wal-log)  # first byte: bit 0 LevelDB, the rest the log number (10 for the fixtures' live WALs)
      find testdata/rocksdb testdata/leveldb -name '*.log' -size -256k | while read -r f; do
        case "$f" in *leveldb*) b='\025' ;; *) b='\024' ;; esac
        { printf "$b"; cat "$f"; } > "$dir/$(echo "$f" | tr / _)"
      done ;;
    write-batch)  # the batches of the fixtures' uncompressed WALs, reassembled from their fragments
      python3 scripts/wal_batch_seeds.py "$dir" ;;
    kafka-codecs)  # the compressed record data of the fixtures' batches, one file per batch
      python3 scripts/kafka_codec_seeds.py "$dir" ;;
    prefilter)  # flags byte (1 -i, 2 -F), patterns split by NUL, newline, a value
      printf '\001status=503\nSTATUS=503 and \305\277tatus=503\n' > "$dir/caseless-long-s"
      printf '\003kelvin key\000region\n\342\204\252ELVIN KEY region\n' > "$dir/caseless-kelvin"
      printf '\000region=eu-west-1 status=50[0-9]\nregion=eu-west-1 status=503 GET\n' > "$dir/regex"
      printf '\001r\303\251gion [0-9]+ms\nR\303\211GION 12ms\n' > "$dir/caseless-non-ascii"
      printf '\000ab\\x41c?d\nabAd\n' > "$dir/escape" ;;
    search)
      for f in testdata/native/sample/*.seg; do
        { printf 'qu[a-z]+k\n'; cat "$f"; } > "$dir/$(basename "$f").regex"
        { printf 'the\n'; cat "$f"; } > "$dir/$(basename "$f").literal"
      done ;;
  esac
  [ -d "testdata/fuzz/$target" ] && cp testdata/fuzz/"$target"/* "$dir"/ 2>/dev/null || true
  echo "$dir"
}

status=0
printf '%-16s %12s %10s %s\n' target runs exec/s result
for target in "${targets[@]}"; do
  corpus=$(seed "$target")
  artifacts=testdata/fuzz/$target
  mkdir -p "$artifacts"
  log=$work/$target.log
  set +e
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$binary" --target="$target" "$corpus" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/" \
    -print_final_stats=1 > "$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (rc $rc, see $artifacts)"; status=1; tail -40 "$log" >&2; fi
  printf '%-16s %12s %10s %s\n' "$target" "$runs" "$rate" "$result"
  # Keep only crash/leak/timeout artifacts; drop the directory when empty.
  rmdir "$artifacts" 2>/dev/null || true
done
exit $status
