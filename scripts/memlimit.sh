#!/usr/bin/env bash
# A log larger than the memory it is given (issue 7): replays LOG cold inside a
# memory cgroup limited to LIMIT and without a limit, per I/O path, and prints
# elapsed time, throughput, logscan's peak RSS and the cgroup's peak usage
# (page cache included: the kernel charges it to the cgroup and reclaims it
# there when the limit is reached).
#
#   scripts/memlimit.sh LOGDIR [LIMIT]        # LIMIT default 512M
#
# Needs root (a cgroup of its own; cgroup v2 or v1's memory controller:
# systemd-run --scope -p MemoryMax= does the same where systemd is PID 1).
set -euo pipefail
LOG=${1:?usage: scripts/memlimit.sh LOGDIR [LIMIT]}
LIMIT=${2:-512M}
BIN=${LOGSCAN_BIN:-$(dirname "$0")/../.build/release/logscan}
[ "$(id -u)" = 0 ] || { echo "memlimit.sh: must run as root" >&2; exit 2; }

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    CG=/sys/fs/cgroup/logscan-memlimit
    mkdir -p $CG
    echo "$LIMIT" > $CG/memory.max
    peak() { cat $CG/memory.peak 2>/dev/null || echo "?"; }
    reset() { echo 0 > $CG/memory.reclaim 2>/dev/null || true; }
    echo "cgroup v2 $CG: memory.max $(cat $CG/memory.max)"
else
    CG=/sys/fs/cgroup/memory/logscan-memlimit
    mkdir -p $CG
    echo "$LIMIT" > $CG/memory.limit_in_bytes
    peak() { cat $CG/memory.max_usage_in_bytes; }
    reset() { echo 0 > $CG/memory.force_empty 2>/dev/null || true; echo 0 > $CG/memory.max_usage_in_bytes; }
    echo "cgroup v1 $CG: memory.limit_in_bytes $(cat $CG/memory.limit_in_bytes)"
fi
echo "log: $LOG ($(du -sh "$LOG" | cut -f1)); machine memory $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

cold() { sync; echo 1 > /proc/sys/vm/drop_caches; }

report() {  # label, stats file, cgroup peak
    local elapsed rss thr faults io
    elapsed=$(sed -n 's/.*elapsed *\([0-9.]*\) s.*/\1/p' "$2" | head -1)
    thr=$(sed -n 's/.*throughput *\([0-9.]* [A-Za-z/]*\),.*/\1/p' "$2" | head -1)
    rss=$(sed -n 's/.*peak RSS *//p' "$2" | head -1)
    faults=$(sed -n 's/.*page faults *//p' "$2" | head -1)
    io=$(sed -n 's/.*  io *//p' "$2" | sort | uniq -c | sort -rn | head -1 | sed 's/^ *//')
    printf '%-34s %8ss %12s  peak RSS %-10s cgroup peak %-12s faults %-22s io: %s\n' "$1" "$elapsed" "$thr" "$rss" "$3" "$faults" "$io"
}

for io in auto mmap pread; do
    cold
    "$BIN" replay --count --stats --io $io "$LOG" > /tmp/memlimit-out.txt 2> /tmp/memlimit-stats.txt
    report "--io $io, no limit" /tmp/memlimit-stats.txt "-"
    cold
    reset
    sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh $CG "$BIN" replay --count --stats --io $io "$LOG" \
        > /tmp/memlimit-out2.txt 2> /tmp/memlimit-stats.txt
    cmp -s /tmp/memlimit-out.txt /tmp/memlimit-out2.txt || echo "records differ under the limit: $(cat /tmp/memlimit-out.txt) vs $(cat /tmp/memlimit-out2.txt)"
    report "--io $io, memory limit $LIMIT" /tmp/memlimit-stats.txt "$(( $(peak) >> 20 )) MiB"
done
echo "records: $(cat /tmp/memlimit-out.txt)"
