// How many leading bytes a printer can copy as they are, before the first
// byte it must escape: the printers' inner loop. Looked at one byte at a
// time in Swift, escaping was most of `replay`'s time whenever it printed
// (text: 55% of the run, jsonl: 28%); here 32 bytes are classified a step.
#include "logscan_support.h"
#include "cpu_features.h"

static inline int plain_byte(unsigned char b, int mode) {
    if (b == '"' || b == '\\' || b < 0x20) return 0;
    return mode == LOGSCAN_PLAIN_JSON || b < 0x7F;
}

static size_t plain_prefix_scalar(const unsigned char *p, size_t n, int mode) {
    size_t i = 0;
    while (i < n && plain_byte(p[i], mode)) i++;
    return i;
}

#if defined(__x86_64__)
#include <immintrin.h>

// Bytes to escape in 32: below 0x20, '"', '\\', and for text 0x7F and up
// (unsigned compares through min/max: AVX2 compares bytes as signed).
__attribute__((target("avx2"))) static inline uint32_t special32(const unsigned char *p, int mode) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)p);
    __m256i special = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
    special = _mm256_or_si256(special, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')));
    special = _mm256_or_si256(special, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')));
    if (mode == LOGSCAN_PLAIN_TEXT)
        special = _mm256_or_si256(special, _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(0x7F)), v));
    return (uint32_t)_mm256_movemask_epi8(special);
}

__attribute__((target("avx2"))) static size_t plain_prefix_avx2(const unsigned char *p, size_t n, int mode) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint32_t mask = mode == LOGSCAN_PLAIN_TEXT ? special32(p + i, LOGSCAN_PLAIN_TEXT) : special32(p + i, LOGSCAN_PLAIN_JSON);
        if (mask) return i + (size_t)__builtin_ctz(mask);
    }
    return i + plain_prefix_scalar(p + i, n - i, mode);
}
#endif

size_t logscan_plain_prefix(const void *bytes, size_t n, int mode) {
    const unsigned char *p = (const unsigned char *)bytes;
#if defined(__x86_64__)
    if (logscan_cpu_has_avx2 && n >= 32) return plain_prefix_avx2(p, n, mode);
#endif
    return plain_prefix_scalar(p, n, mode);
}
