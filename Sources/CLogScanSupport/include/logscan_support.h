// The few things logscan needs from C: a hardware CRC32C (Swift cannot apply
// target attributes, and unsafeFlags would make the package unusable as a
// dependency), and a SIGBUS guard (sigsetjmp is a macro Swift cannot call).
#ifndef LOGSCAN_SUPPORT_H
#define LOGSCAN_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) -------------------

/// Extends `crc` (a finished CRC32C, 0 for none) over `len` bytes at `data`.
/// Uses SSE4.2 with three interleaved streams when the CPU has it, slice-by-8
/// otherwise. crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t logscan_crc32c(uint32_t crc, const void *data, size_t len);

/// The portable implementation, exposed so tests can compare both paths.
uint32_t logscan_crc32c_portable(uint32_t crc, const void *data, size_t len);

/// 1 when logscan_crc32c uses the CPU's CRC32 instruction.
int logscan_crc32c_is_hardware(void);

// ---- SIGBUS guard ------------------------------------------------------------
//
// A file truncated under a mapping makes the next access beyond its new end
// raise SIGBUS. logscan runs every access to mapped bytes inside a guard: the
// body runs after sigsetjmp; if it faults on a guarded range, the handler
// siglongjmps back and the guard returns the faulting address. Frames of the
// body are skipped, so a body must not hold locks or allocations that matter
// when it faults (logscan's bodies only read mapped bytes and write into
// buffers they own).

typedef void (*logscan_guard_body)(void *context);

/// Installs the SIGBUS handler once (chained to the previous one). Idempotent
/// and thread-safe; logscan_guarded_call calls it too.
void logscan_guard_install(void);

/// Runs body(context) under the guard. Returns 0 when the body completed, 1
/// when it was cut short by SIGBUS; then *fault_address holds the address.
int logscan_guarded_call(logscan_guard_body body, void *context, uintptr_t *fault_address);

/// How many SIGBUS the guard has turned into errors (for tests and --stats).
uint64_t logscan_guard_fault_count(void);

/// Registers a mapping whose bytes are also read outside guarded calls (the
/// zero-copy views handed to callers). A SIGBUS on it outside a guard maps
/// zero pages over the rest of the mapping instead of killing the process,
/// and marks the slot. Returns the slot, or -1 when the table is full.
int logscan_guard_register_mapping(const void *start, size_t length);
void logscan_guard_unregister_mapping(int slot);
/// 1 once a fault outside a guard has patched this mapping with zero pages.
int logscan_guard_mapping_faulted(int slot);

// ---- memory-speed helpers ---------------------------------------------------

/// A hint to bring the cache line at `address` closer (Swift has no prefetch
/// intrinsic). Never faults, whatever the address.
static inline void logscan_prefetch(const void *address) { __builtin_prefetch(address); }

/// Index of the first occurrence of needle in haystack, or -1. Wraps memmem,
/// which glibc vectorizes; declared here so the Swift side needs no _GNU_SOURCE.
ptrdiff_t logscan_memmem(const void *haystack, size_t haystack_len,
                         const void *needle, size_t needle_len);

// ---- printing -----------------------------------------------------------------

/// JSON strings: every byte but the ones below 0x20, '"' and '\\' is copied
/// (the caller has checked that the bytes are valid UTF-8).
#define LOGSCAN_PLAIN_JSON 0
/// Quoted text: only printable ASCII (0x20-0x7E) but '"' and '\\' is copied.
#define LOGSCAN_PLAIN_TEXT 1

/// How many leading bytes of bytes[0..<n] need no escaping in `mode`
/// (n when none does). AVX2 when the CPU has it.
size_t logscan_plain_prefix(const void *bytes, size_t n, int mode);

// ---- literal search ---------------------------------------------------------

/// A byte string to find, with the two positions whose bytes are compared
/// first (the rarest in the needle; equal for a one-byte needle).
typedef struct {
    const uint8_t *needle;
    size_t length;
    size_t rare1;
    size_t rare2;
    /// Nonzero: ASCII letters match either case.
    int caseless;
} logscan_literal;

/// Offset of the first occurrence of the literal in haystack[0..<n], or -1.
/// Never reads outside the haystack. AVX2 when the CPU has it.
ptrdiff_t logscan_literal_find(const logscan_literal *literal, const void *haystack, size_t n);

/// Where a literal occurs in a block, found while checksumming it.
typedef struct {
    /// Caller's buffer for the offsets, and its capacity in entries.
    uint32_t *offsets;
    size_t capacity;
    /// Set by logscan_crc32c_probe: `count` offsets, ascending, of every
    /// occurrence that starts before `searched`. Bytes from `searched` on
    /// were not searched (the block's tail, a full buffer, or no fused path
    /// on this CPU: then `searched` is 0); the caller searches them.
    size_t count;
    size_t searched;
} logscan_probe_hits;

/// logscan_crc32c(crc, data, len), and in the same pass over the bytes the
/// occurrences of `literal` (see logscan_probe_hits). Needs VPCLMULQDQ and
/// AVX2 for the fused pass; without them it only checksums.
uint32_t logscan_crc32c_probe(uint32_t crc, const void *data, size_t len, const logscan_literal *literal,
                              logscan_probe_hits *out);

// ---- file systems -------------------------------------------------------------

/// fstatfs for Swift (Glibc's module map does not export sys/vfs.h): the file
/// system magic and block size of the file open at fd. Returns 0 or errno.
int logscan_fs_info(int fd, int64_t *type, int64_t *block_size);

/// Turns on O_DIRECT for the open file description at fd (fcntl F_SETFL;
/// O_DIRECT needs _GNU_SOURCE, which the Swift side does not have).
/// Returns 0 or errno: EINVAL when the file system refuses direct I/O.
int logscan_set_direct(int fd);

/// The alignment O_DIRECT needs for buffers, offsets and lengths of the file
/// at fd: statx's STATX_DIOALIGN where the kernel reports it, else the file
/// system's block size, never below 512. 0 when nothing could be learned.
int64_t logscan_direct_alignment(int fd);

/// Reads one byte of every `page` bytes of [base, base + len), a mapping of
/// resident file pages, and returns how many minor page faults this thread
/// took doing so (getrusage RUSAGE_THREAD), or -1. How many pages one fault
/// maps tells how the page cache holds the file: 16 (the kernel's fault-around)
/// for order-0 folios, more for large ones. The loads are volatile, so the
/// compiler keeps them.
int64_t logscan_faults_touching(const void *base, size_t len, size_t page);

/// CPUs this process may run on (its affinity mask: taskset, cpusets), at
/// least 1; the online count when the mask cannot be read.
int logscan_usable_cpus(void);

#ifdef __cplusplus
}
#endif

#endif
