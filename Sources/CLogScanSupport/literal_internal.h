// Literal-search helpers shared by literal_search.c and checksum_probe.c.
#ifndef LOGSCAN_LITERAL_INTERNAL_H
#define LOGSCAN_LITERAL_INTERNAL_H

#include "logscan_support.h"

/// 1 when the literal's bytes are at `at` (ASCII case folded when caseless).
/// The caller guarantees `literal->length` readable bytes.
int logscan_literal_matches_at(const logscan_literal *literal, const uint8_t *at);

/// The other ASCII case of a letter; any other byte unchanged.
int logscan_ascii_other_case(int c);

#if defined(__x86_64__)
#include <immintrin.h>

#define LOGSCAN_AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/// The literal's two rarest bytes, broadcast: `a` and `b` their exact values,
/// `a2` and `b2` their other case (equal to a/b when not a letter or not
/// caseless), and where they sit in the needle.
typedef struct {
    __m256i a, a2, b, b2;
    size_t r1, r2;
} logscan_rare_bytes;

LOGSCAN_AVX2_INLINE logscan_rare_bytes logscan_rare_bytes_of(const logscan_literal *lit) {
    const uint8_t c1 = lit->needle[lit->rare1], c2 = lit->needle[lit->rare2];
    logscan_rare_bytes r;
    r.a = _mm256_set1_epi8((char)c1);
    r.b = _mm256_set1_epi8((char)c2);
    r.a2 = _mm256_set1_epi8((char)(lit->caseless ? logscan_ascii_other_case(c1) : c1));
    r.b2 = _mm256_set1_epi8((char)(lit->caseless ? logscan_ascii_other_case(c2) : c2));
    r.r1 = lit->rare1;
    r.r2 = lit->rare2;
    return r;
}

/// Candidates among positions q..q+31: bit i set when both rare bytes agree
/// at q+i. Reads q + r1 .. q + r2 + 31.
LOGSCAN_AVX2_INLINE uint32_t logscan_rare_candidates32(const logscan_rare_bytes *r, const uint8_t *q, int caseless) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(q + r->r1));
    __m256i y = _mm256_loadu_si256((const __m256i *)(q + r->r2));
    __m256i mx = _mm256_cmpeq_epi8(x, r->a), my = _mm256_cmpeq_epi8(y, r->b);
    if (caseless) {
        mx = _mm256_or_si256(mx, _mm256_cmpeq_epi8(x, r->a2));
        my = _mm256_or_si256(my, _mm256_cmpeq_epi8(y, r->b2));
    }
    return (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(mx, my));
}
#endif

#endif
