// CRC32C for logscan: every native block, every Kafka batch and every WAL
// record is checked with it, so it runs over every byte logscan reads.
//
// The SSE4.2 crc32 instruction has a latency of 3 cycles and a throughput of
// 1, so one dependent chain runs at a third of the possible speed. Long
// buffers are therefore cut into three streams computed side by side and
// recombined with the GF(2) "shift by n zero bytes" operator, which is a
// multiplication by x^(8n) modulo the polynomial.
#include "logscan_support.h"
#include "crc32c_internal.h"

#include <string.h>

#define POLY 0x82F63B78u

// ---- portable slice-by-8 ----------------------------------------------------

static uint32_t slice_table[8][256];

static void build_slice_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        slice_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = slice_table[0][n];
        for (int k = 1; k < 8; k++) {
            c = slice_table[0][c & 0xFF] ^ (c >> 8);
            slice_table[k][n] = c;
        }
    }
}

static uint32_t crc_portable_raw(uint32_t crc, const unsigned char *p, size_t len) {
    while (len && ((uintptr_t)p & 7)) {
        crc = slice_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;  // little-endian: the low 4 bytes take the running CRC
        crc = slice_table[7][word & 0xFF] ^ slice_table[6][(word >> 8) & 0xFF] ^
              slice_table[5][(word >> 16) & 0xFF] ^ slice_table[4][(word >> 24) & 0xFF] ^
              slice_table[3][(word >> 32) & 0xFF] ^ slice_table[2][(word >> 40) & 0xFF] ^
              slice_table[1][(word >> 48) & 0xFF] ^ slice_table[0][word >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = slice_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// ---- GF(2) arithmetic for recombining streams -------------------------------

// a * b mod POLY, both in the reflected representation (x^0 is the top bit).
static uint32_t mult_mod_poly(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t bit = 1u << 31; bit; bit >>= 1) {
        if (a & bit) product ^= b;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
    }
    return product;
}

// x^(8 * nbytes) mod POLY: the operator that appends nbytes zero bytes.
static uint32_t zeros_operator(size_t nbytes) {
    uint32_t result = 1u << 31;           // x^0
    uint32_t square = 1u << 23;           // x^8: one zero byte
    while (nbytes) {
        if (nbytes & 1) result = mult_mod_poly(square, result);
        square = mult_mod_poly(square, square);
        nbytes >>= 1;
    }
    return result;
}

// ---- SSE4.2 -------------------------------------------------------------------

#if defined(__x86_64__)
#include <immintrin.h>

// Stream lengths for the 3-way split, longest first: a buffer is consumed in
// 3 x 8 KiB steps, then 3 x 1 KiB, then 3 x 128 bytes, so that a 64 KiB block
// spends almost nothing in the slow single chain. The two recombinations per
// step cost ~100 cycles, negligible against 384 bytes or more.
#define LEVELS 3
static const size_t stream_length[LEVELS] = {8192, 1024, 128};
static uint32_t shift_one_stream[LEVELS];   // zeros_operator(length)
static uint32_t shift_two_streams[LEVELS];  // zeros_operator(2 * length)

__attribute__((target("sse4.2")))
static uint32_t crc_hw_1way(uint32_t crc, const unsigned char *p, size_t len) {
    uint64_t c = crc;
    while (len && ((uintptr_t)p & 7)) { c = _mm_crc32_u8((uint32_t)c, *p++); len--; }
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        len -= 8;
    }
    while (len--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return (uint32_t)c;
}

// One step of the 3-way split: three streams of `stream` bytes side by side.
__attribute__((target("sse4.2")))
static uint32_t crc_hw_3way(uint32_t crc, const unsigned char *p, size_t stream, int level) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    const unsigned char *a = p, *b = p + stream, *c = p + 2 * stream;
    for (size_t i = 0; i < stream; i += 8) {
        // Blocks are often read straight from memory (a cold mapping): ask
        // for the lines ahead of each stream, as the hardware prefetcher
        // follows three interleaved streams less well than one. A prefetch
        // never faults, even past the end of the buffer.
        if ((i & 63) == 0) {
            __builtin_prefetch(a + i + 1024);
            __builtin_prefetch(b + i + 1024);
            __builtin_prefetch(c + i + 1024);
        }
        uint64_t wa, wb, wc;
        memcpy(&wa, a + i, 8);
        memcpy(&wb, b + i, 8);
        memcpy(&wc, c + i, 8);
        c0 = _mm_crc32_u64(c0, wa);
        c1 = _mm_crc32_u64(c1, wb);
        c2 = _mm_crc32_u64(c2, wc);
    }
    // Raw (unconditioned) CRCs are linear: crc(A||B||C) =
    // shift(crc(A), |B|+|C|) ^ shift(crc(B), |C|) ^ crc(C).
    return mult_mod_poly(shift_two_streams[level], (uint32_t)c0) ^
           mult_mod_poly(shift_one_stream[level], (uint32_t)c1) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
uint32_t logscan_crc32c_hw_raw(uint32_t crc, const unsigned char *p, size_t len) {
    for (int level = 0; level < LEVELS; level++) {
        size_t stream = stream_length[level];
        while (len >= 3 * stream) {
            crc = crc_hw_3way(crc, p, stream, level);
            p += 3 * stream;
            len -= 3 * stream;
        }
    }
    return crc_hw_1way(crc, p, len);
}
#endif

// ---- VPCLMULQDQ folding ------------------------------------------------------------
//
// The crc32 instruction tops out at 8 bytes a cycle (three chains). Carry-less
// multiplication folds 128 bytes per step instead: each 16-byte lane L0|L1 of
// the accumulators is carried 1024 bits forward as L0*x^(1024+63) + L1*x^1023
// (mod P), the -1 because PCLMUL's 127-bit product sits one bit off in the
// reflected frame, and the next 128 bytes are XORed in. At the end the eight
// lanes are folded into one and the crc32 instruction reduces those 16 bytes,
// which gives exactly the raw CRC of everything folded (no Barrett reduction
// needed). Zen 3 and Ice Lake and later have 256-bit VPCLMULQDQ.

uint64_t logscan_crc32c_fold1024[2];  // x^1087, x^1023 (mod P), as 64-bit PCLMUL operands
uint64_t logscan_crc32c_fold128[2];   // x^191, x^127
int logscan_crc32c_use_vpclmul;

// x^n mod POLY, reflected.
static uint32_t x_to_the(uint64_t n) {
    uint32_t result = 1u << 31;  // x^0
    uint32_t square = 1u << 30;  // x^1
    while (n) {
        if (n & 1) result = mult_mod_poly(square, result);
        square = mult_mod_poly(square, square);
        n >>= 1;
    }
    return result;
}

// A reflected 32-bit polynomial as the 64-bit PCLMUL operand: bit 63-i holds x^i.
static uint64_t operand(uint32_t reflected) { return (uint64_t)reflected << 32; }

#if defined(__x86_64__)
__attribute__((target("vpclmulqdq,pclmul,avx2,sse4.2")))
static uint32_t crc_vpclmul(uint32_t crc, const unsigned char *p, size_t len) {
    // len >= 256 (one step to begin, at least one to fold).
    logscan_crc_fold fold = logscan_crc_fold_begin(crc, p);
    p += 128;
    len -= 128;
    while (len >= 128) {
        // Blocks are mostly read from DRAM (a mapped page-cache file): ask
        // for lines 4 KiB ahead. Measured on 1 GiB of 64 KiB blocks, checksum
        // plus record walk: 10.2 GB/s, against 7.3 with 1 KiB ahead and 9.4
        // with no prefetch (interleaved runs: scripts/microbench/checksum_walk.c).
        __builtin_prefetch(p + 4096);
        __builtin_prefetch(p + 4096 + 64);
        logscan_crc_fold_step(&fold, p);
        p += 128;
        len -= 128;
    }
    return logscan_crc32c_hw_raw(logscan_crc_fold_finish(&fold), p, len);
}
#endif

// ---- dispatch -------------------------------------------------------------------

static int use_hardware;

// Runs before main (and before any Swift code), so the tables need no locking.
__attribute__((constructor))
static void crc32c_init(void) {
    build_slice_table();
#if defined(__x86_64__)
    __builtin_cpu_init();
    use_hardware = __builtin_cpu_supports("sse4.2");
    for (int level = 0; level < LEVELS; level++) {
        shift_one_stream[level] = zeros_operator(stream_length[level]);
        shift_two_streams[level] = zeros_operator(2 * stream_length[level]);
    }
    logscan_crc32c_fold1024[0] = operand(x_to_the(1024 + 63));
    logscan_crc32c_fold1024[1] = operand(x_to_the(1024 - 1));
    logscan_crc32c_fold128[0] = operand(x_to_the(128 + 63));
    logscan_crc32c_fold128[1] = operand(x_to_the(128 - 1));
    logscan_crc32c_use_vpclmul = use_hardware && __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx2")
                  && __builtin_cpu_supports("pclmul");
#endif
}

uint32_t logscan_crc32c_portable(uint32_t crc, const void *data, size_t len) {
    return ~crc_portable_raw(~crc, (const unsigned char *)data, len);
}

uint32_t logscan_crc32c(uint32_t crc, const void *data, size_t len) {
#if defined(__x86_64__)
    if (logscan_crc32c_use_vpclmul && len >= 256) return ~crc_vpclmul(~crc, (const unsigned char *)data, len);
    if (use_hardware) return ~logscan_crc32c_hw_raw(~crc, (const unsigned char *)data, len);
#endif
    return ~crc_portable_raw(~crc, (const unsigned char *)data, len);
}

int logscan_crc32c_is_hardware(void) { return use_hardware; }
