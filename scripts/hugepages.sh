#!/usr/bin/env bash
# Huge pages for real (issue 7). As root: reserve 2 MiB huge pages, mount
# hugetlbfs, copy a native log's segments there through a mapping (write() is
# refused on hugetlbfs), and replay the copy with MAP_HUGETLB (--huge-pages)
# against the same segments on the ordinary file system, with page faults
# and, where the machine has the counters, dTLB misses from `perf stat`.
#
#   scripts/hugepages.sh LOGDIR [RUNS]
#
# Needs: root, a release build (LOGSCAN_BIN, default .build/release/logscan),
# python3, perf (Debian: linux-perf) for the TLB counters. Leaves the mount
# and reservation in place unless HUGEPAGES_CLEANUP=1.
set -euo pipefail
LOG=${1:?usage: scripts/hugepages.sh LOGDIR [RUNS]}
RUNS=${2:-5}
BIN=${LOGSCAN_BIN:-$(dirname "$0")/../.build/release/logscan}
MNT=${HUGEPAGES_MOUNT:-/mnt/logscan-huge}
HUGE=$((2 << 20))
[ "$(id -u)" = 0 ] || { echo "hugepages.sh: must run as root" >&2; exit 2; }

segments=$(ls "$LOG"/*.seg)
need=0
for s in $segments; do need=$((need + ($(stat -c %s "$s") + HUGE - 1) / HUGE)); done
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt $((need + 8)) ]; then
    echo $((need + 8)) > /proc/sys/vm/nr_hugepages
fi
echo "huge pages: wanted $((need + 8)), reserved $(cat /proc/sys/vm/nr_hugepages) (HugePages_Free $(awk '/HugePages_Free/ {print $2}' /proc/meminfo))"
mkdir -p "$MNT"
mountpoint -q "$MNT" || mount -t hugetlbfs -o pagesize=2M none "$MNT"
rm -rf "$MNT/log"; mkdir -p "$MNT/log"

# hugetlbfs sizes are whole huge pages: each copy ends in a zero-filled tail,
# which logscan reads as a preallocated tail (tolerated, not damage). Index
# files are not copied: zero entries would read as entries; --count needs none.
for s in $segments; do
    python3 - "$s" "$MNT/log/$(basename "$s")" <<'PY'
import mmap, os, sys
src, dst = sys.argv[1], sys.argv[2]
huge = 2 << 20
size = os.path.getsize(src)
padded = max(huge, (size + huge - 1) // huge * huge)
fd = os.open(dst, os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, padded)
m = mmap.mmap(fd, padded, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
with open(src, "rb") as f:
    off = 0
    while True:
        chunk = f.read(64 << 20)
        if not chunk:
            break
        m[off:off + len(chunk)] = chunk
        off += len(chunk)
m.close()
os.close(fd)
PY
done
echo "copied $(echo $segments | wc -w) segments to $MNT/log ($(du -sh "$MNT/log" | cut -f1))"

tlb=yes
probe=$(perf stat -e dTLB-load-misses true 2>&1 || true)
if ! command -v perf >/dev/null || [[ "$probe" == *"not supported"* ]]; then
    tlb=no
    echo "perf: this machine reports no dTLB-load-misses counter (a VM without PMU passthrough): times and faults only"
fi

run() {  # label, then the command
    local label=$1; shift
    cat "$LOG"/*.seg > /dev/null  # the ext4 copy warm, like the hugetlbfs one (always resident)
    for i in $(seq "$RUNS"); do
        if [ $tlb = yes ]; then
            perf stat -x, -e dTLB-load-misses,dTLB-loads,page-faults -o /tmp/hugepages-perf.txt "$@" > /tmp/hugepages-out.txt 2>/tmp/hugepages-err.txt
            misses=$(awk -F, '/dTLB-load-misses/ {print $1}' /tmp/hugepages-perf.txt)
        else
            "$@" > /tmp/hugepages-out.txt 2>/tmp/hugepages-err.txt
            misses=n/a
        fi
        elapsed=$(sed -n 's/.*elapsed *\([0-9.]*\) s.*/\1/p' /tmp/hugepages-err.txt | head -1)
        faults=$(sed -n 's/.*page faults *\([0-9]*\) minor.*/\1/p' /tmp/hugepages-err.txt | head -1)
        io=$(sed -n 's/.*  io *//p' /tmp/hugepages-err.txt | head -1)
        echo "$label run $i: records $(head -1 /tmp/hugepages-out.txt), elapsed ${elapsed}s, minor faults $faults, dTLB-load-misses $misses, io: $io"
    done
}

run "ext4      --io mmap             " "$BIN" replay --count --stats --io mmap "$LOG"
run "ext4      --io mmap --huge-pages" "$BIN" replay --count --stats --io mmap --huge-pages "$LOG"
run "hugetlbfs --io mmap --huge-pages" "$BIN" replay --count --stats --io mmap --huge-pages --kind native "$MNT/log"

if [ "${HUGEPAGES_CLEANUP:-0}" = 1 ]; then
    rm -rf "$MNT/log"; umount "$MNT"; echo 0 > /proc/sys/vm/nr_hugepages
fi
