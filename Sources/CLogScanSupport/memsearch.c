// Byte search over mapped or decompressed memory. glibc's memmem is
// vectorized (two-way with SSE2/AVX2 for the first byte), far faster than a
// loop written in Swift, and it never reads past haystack + haystack_len.
#define _GNU_SOURCE
#include "logscan_support.h"

#include <string.h>

ptrdiff_t logscan_memmem(const void *haystack, size_t haystack_len,
                         const void *needle, size_t needle_len) {
    const void *hit = memmem(haystack, haystack_len, needle, needle_len);
    return hit ? (const char *)hit - (const char *)haystack : -1;
}
