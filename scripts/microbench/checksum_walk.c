// Checksum + record walk over 1 GiB of 64 KiB blocks in DRAM, the inner work
// of `logscan replay` and `grep` on raw native blocks, without the rest of
// logscan: for trying prefetch distances and loop shapes in C before
// changing the library. Variants run interleaved in one process, because
// this VM's speed drifts between runs.
//
//   S=Sources/CLogScanSupport; cc -O2 -I $S/include -I $S scripts/microbench/checksum_walk.c
//      $S/crc32c.c $S/literal_search.c $S/checksum_probe.c -o /tmp/checksum_walk && /tmp/checksum_walk
//
// Variant "probe": logscan_crc32c_probe (checksum and literal search in one
// pass), then the walk. "crc": logscan_crc32c, then the walk. "crc/N": the
// block checksummed and walked N bytes at a time (to see whether walking
// what was just checksummed, while it is in L1, pays: it did not, 6.4 against
// 8.0 GB/s for 4 KiB pieces with the old 1 KiB checksum prefetch).
#include "logscan_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef struct { uint32_t offset, key_length, value_length, flags; } slot;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// The native record walk (NativeRecordWalk.walk), for records starting in [offset, limit).
static size_t walk(const unsigned char *p, size_t offset, size_t limit, size_t n, slot *slots, size_t *index) {
    while (offset < limit) {
        __builtin_prefetch(p + offset + 512);
        uint32_t size, key, flags;
        memcpy(&size, p + offset, 4);
        memcpy(&key, p + offset + 4, 4);
        memcpy(&flags, p + offset + 8, 4);
        if (size < 20 || size > n - offset || key > size - 20 || (flags & ~7u)) {
            fprintf(stderr, "bad record at %zu\n", offset);
            exit(1);
        }
        slots[*index] = (slot){(uint32_t)offset, key, size - 20 - key, flags};
        (*index)++;
        offset += size;
    }
    return offset;
}

int main(void) {
    const size_t total = (size_t)1 << 30, block = 65536;
    unsigned char *log = mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    srand(1);
    for (size_t b = 0; b < total; b += block) {
        size_t offset = 0;
        while (block - offset >= 20) {
            uint32_t size = 80 + (uint32_t)(rand() % 60);
            if (size > block - offset || block - offset - size < 20) size = (uint32_t)(block - offset);
            uint32_t key = size >= 28 ? 8 : 0, flags = 7;
            memcpy(log + b + offset, &size, 4);
            memcpy(log + b + offset + 4, &key, 4);
            memcpy(log + b + offset + 8, &flags, 4);
            for (size_t i = 12; i < size; i++) log[b + offset + i] = (unsigned char)('a' + rand() % 26);
            if (rand() % 50 == 0 && size > 50) memcpy(log + b + offset + 30, "status=503", 10);
            offset += size;
        }
    }
    logscan_literal literal = {(const uint8_t *)"status=503", 10, 7, 8, 0};
    slot *slots = malloc(block / 20 * sizeof(slot));
    uint32_t hits[1024];
    const size_t chunks[] = {0, block, 16384, 4096};  // 0: probe
    for (int round = 0; round < 12; round++) {
        size_t chunk = chunks[round % 4];
        double start = now();
        size_t records = 0, found = 0;
        uint32_t combined = 0;
        for (size_t b = 0; b < total; b += block) {
            const unsigned char *p = log + b;
            size_t index = 0;
            if (chunk == 0) {
                logscan_probe_hits probe = {hits, 1024, 0, 0};
                combined ^= logscan_crc32c_probe(0, p, block, &literal, &probe);
                found += probe.count;
                walk(p, 0, block, block, slots, &index);
            } else {
                uint32_t crc = 0;
                size_t walked = 0;
                for (size_t o = 0; o < block; o += chunk) {
                    crc = logscan_crc32c(crc, p + o, chunk);
                    walked = walk(p, walked, o + chunk, block, slots, &index);
                }
                combined ^= crc;
            }
            records += index;
        }
        double seconds = now() - start;
        if (chunk == 0) printf("probe    %5.1f GB/s  %zu records, %zu hits, crc %08x\n", total / seconds / 1e9, records, found, combined);
        else printf("crc/%-5zu %5.1f GB/s  %zu records, crc %08x\n", chunk, total / seconds / 1e9, records, combined);
    }
    return 0;
}
