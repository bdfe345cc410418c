// CRC32C internals shared by crc32c.c and checksum_probe.c (not part of the
// public header): the VPCLMULQDQ fold in three steps, so that a loop that
// also does something else with the bytes (checksum_probe.c looks for a
// literal in them) folds them while they are in registers.
#ifndef LOGSCAN_CRC32C_INTERNAL_H
#define LOGSCAN_CRC32C_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/// Set once before main by crc32c.c's constructor.
extern uint64_t logscan_crc32c_fold1024[2];  // x^1087, x^1023 (mod P), as 64-bit PCLMUL operands
extern uint64_t logscan_crc32c_fold128[2];   // x^191, x^127
extern int logscan_crc32c_use_vpclmul;

/// The raw (unconditioned) CRC with the crc32 instruction, three streams.
uint32_t logscan_crc32c_hw_raw(uint32_t crc, const unsigned char *p, size_t len);

#if defined(__x86_64__)
#include <immintrin.h>

#define LOGSCAN_FOLD_TARGET __attribute__((target("vpclmulqdq,pclmul,avx2,sse4.2"), always_inline)) static inline

/// Four 32-byte accumulators = eight 16-byte lanes, each carried 1024 bits
/// forward per 128-byte step.
typedef struct { __m256i a0, a1, a2, a3, k; } logscan_crc_fold;

/// Starts a fold of the raw CRC `crc` over the 128 bytes at p.
LOGSCAN_FOLD_TARGET logscan_crc_fold logscan_crc_fold_begin(uint32_t crc, const unsigned char *p) {
    logscan_crc_fold f;
    f.k = _mm256_set_epi64x((long long)logscan_crc32c_fold1024[1], (long long)logscan_crc32c_fold1024[0],
                            (long long)logscan_crc32c_fold1024[1], (long long)logscan_crc32c_fold1024[0]);
    f.a0 = _mm256_loadu_si256((const __m256i *)(p + 0));
    f.a1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    f.a2 = _mm256_loadu_si256((const __m256i *)(p + 64));
    f.a3 = _mm256_loadu_si256((const __m256i *)(p + 96));
    // The initial CRC enters as the first 32 bits of the message.
    f.a0 = _mm256_xor_si256(f.a0, _mm256_set_epi64x(0, 0, 0, (long long)crc));
    return f;
}

LOGSCAN_FOLD_TARGET __m256i logscan_crc_fold_lane(__m256i a, __m256i k, const unsigned char *p) {
    return _mm256_xor_si256(_mm256_xor_si256(_mm256_clmulepi64_epi128(a, k, 0x00), _mm256_clmulepi64_epi128(a, k, 0x11)),
                            _mm256_loadu_si256((const __m256i *)p));
}

/// Folds the next 128 bytes, at p.
LOGSCAN_FOLD_TARGET void logscan_crc_fold_step(logscan_crc_fold *f, const unsigned char *p) {
    f->a0 = logscan_crc_fold_lane(f->a0, f->k, p + 0);
    f->a1 = logscan_crc_fold_lane(f->a1, f->k, p + 32);
    f->a2 = logscan_crc_fold_lane(f->a2, f->k, p + 64);
    f->a3 = logscan_crc_fold_lane(f->a3, f->k, p + 96);
}

LOGSCAN_FOLD_TARGET __m128i logscan_crc_fold_128(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/// The raw CRC of everything folded: the eight lanes, oldest first, are
/// folded into one, and the crc32 instruction reduces those 16 bytes (which
/// gives exactly the CRC; no Barrett reduction needed).
LOGSCAN_FOLD_TARGET uint32_t logscan_crc_fold_finish(const logscan_crc_fold *f) {
    __m128i lanes[8] = {
        _mm256_castsi256_si128(f->a0), _mm256_extracti128_si256(f->a0, 1),
        _mm256_castsi256_si128(f->a1), _mm256_extracti128_si256(f->a1, 1),
        _mm256_castsi256_si128(f->a2), _mm256_extracti128_si256(f->a2, 1),
        _mm256_castsi256_si128(f->a3), _mm256_extracti128_si256(f->a3, 1),
    };
    __m128i k128 = _mm_set_epi64x((long long)logscan_crc32c_fold128[1], (long long)logscan_crc32c_fold128[0]);
    __m128i x = lanes[0];
    for (int i = 1; i < 8; i++) x = _mm_xor_si128(logscan_crc_fold_128(x, k128), lanes[i]);
    uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
    return (uint32_t)c;
}
#endif

#endif
