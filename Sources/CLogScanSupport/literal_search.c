// Literal search for `logscan grep`: find a byte string in a block at memory
// speed. glibc's memmem measured 1-4.6 GB/s here (two-way, first-byte
// driven: a common first byte makes it crawl); this is the "generic SIMD"
// approach: compare two chosen bytes of the needle (the rarest ones, picked
// by the caller) against 32 positions at once, and verify only where both
// agree. ASCII case-insensitive matching compares each chosen byte with both
// of its cases.
#include "logscan_support.h"
#include "cpu_features.h"
#include "literal_internal.h"

#include <string.h>

static int ascii_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int logscan_literal_matches_at(const logscan_literal *lit, const uint8_t *at) {
    if (!lit->caseless) return memcmp(at, lit->needle, lit->length) == 0;
    for (size_t i = 0; i < lit->length; i++)
        if (ascii_lower(at[i]) != ascii_lower(lit->needle[i])) return 0;
    return 1;
}

static int byte_matches(uint8_t b, uint8_t want, int caseless) {
    return caseless ? ascii_lower(b) == ascii_lower(want) : b == want;
}

static ptrdiff_t find_scalar(const logscan_literal *lit, const uint8_t *hay, size_t n, size_t from) {
    const uint8_t *needle = lit->needle;
    size_t len = lit->length;
    if (len == 0) return from <= n ? (ptrdiff_t)from : -1;
    for (size_t i = from; i + len <= n; i++) {
        if (byte_matches(hay[i + lit->rare1], needle[lit->rare1], lit->caseless) &&
            byte_matches(hay[i + lit->rare2], needle[lit->rare2], lit->caseless) &&
            logscan_literal_matches_at(lit, hay + i))
            return (ptrdiff_t)i;
    }
    return -1;
}

#if defined(__x86_64__)
#include <immintrin.h>

int logscan_ascii_other_case(int c) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c >= 'A' && c <= 'Z') return c + 32;
    return c;
}

// 64 positions a step (two 32-byte compares, one test), with `caseless` a
// constant in each of the two instantiations: on a 64 KiB block in L2 it
// measured 36-47 GB/s against 14-18 for one compare a step with `caseless`
// tested inside the loop (caseless: 22-27 against 10-17). The loop's own
// work, not memory, was the limit there.
__attribute__((target("avx2"), always_inline))
static inline ptrdiff_t find_avx2_body(const logscan_literal *lit, const uint8_t *hay, size_t n, const int caseless) {
    const size_t len = lit->length;
    const logscan_rare_bytes rare = logscan_rare_bytes_of(lit);
    // Both loads of a step stay inside the haystack: the highest byte read
    // is i + r2 + 31 (+ 32 for the second half) < n (r1 <= r2).
    const size_t last_read = rare.r2 + 32;
    size_t i = 0;
    while (i + 32 + last_read <= n) {
        uint64_t mask = (uint64_t)logscan_rare_candidates32(&rare, hay + i, caseless) |
                        (uint64_t)logscan_rare_candidates32(&rare, hay + i + 32, caseless) << 32;
        while (__builtin_expect(mask != 0, 0)) {
            size_t pos = i + (size_t)__builtin_ctzll(mask);
            if (pos + len <= n && logscan_literal_matches_at(lit, hay + pos)) return (ptrdiff_t)pos;
            mask &= mask - 1;
        }
        i += 64;
    }
    while (i + last_read <= n) {
        uint32_t mask = logscan_rare_candidates32(&rare, hay + i, caseless);
        while (mask) {
            size_t pos = i + (size_t)__builtin_ctz(mask);
            if (pos + len <= n && logscan_literal_matches_at(lit, hay + pos)) return (ptrdiff_t)pos;
            mask &= mask - 1;
        }
        i += 32;
    }
    return find_scalar(lit, hay, n, i);
}

__attribute__((target("avx2")))
static ptrdiff_t find_avx2_exact(const logscan_literal *lit, const uint8_t *hay, size_t n) {
    return find_avx2_body(lit, hay, n, 0);
}

__attribute__((target("avx2")))
static ptrdiff_t find_avx2_caseless(const logscan_literal *lit, const uint8_t *hay, size_t n) {
    return find_avx2_body(lit, hay, n, 1);
}
#endif

ptrdiff_t logscan_literal_find(const logscan_literal *lit, const void *haystack, size_t n) {
    const uint8_t *hay = (const uint8_t *)haystack;
    if (lit->length > n) return -1;
    if (lit->length == 1 && !lit->caseless) {
        const void *hit = memchr(hay, lit->needle[0], n);
        return hit ? (const uint8_t *)hit - hay : -1;
    }
#if defined(__x86_64__)
    if (logscan_cpu_has_avx2 && lit->length > 0)
        return lit->caseless ? find_avx2_caseless(lit, hay, n) : find_avx2_exact(lit, hay, n);
#endif
    return find_scalar(lit, hay, n, 0);
}
