#define _GNU_SOURCE
#include "logscan_support.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

int logscan_set_direct(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return errno;
    if (fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) return errno;
    return 0;
}

// Linux 6.1 added STATX_DIOALIGN; glibc 2.36's headers may predate it, so the
// mask bit and the fields' offsets are spelled out (include/uapi/linux/stat.h:
// stx_dio_mem_align and stx_dio_offset_align are the two __u32 after
// stx_mnt_id at byte 144).
#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN 0x00002000U
#endif

int64_t logscan_direct_alignment(int fd) {
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN)) {
        const unsigned char *raw = (const unsigned char *)&sx;
        uint32_t mem = *(const uint32_t *)(raw + 152), off = *(const uint32_t *)(raw + 156);
        uint32_t a = mem > off ? mem : off;
        if (a > 0) return a;
    }
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return 0;
    return fs.f_bsize >= 512 ? (int64_t)fs.f_bsize : 512;
}
