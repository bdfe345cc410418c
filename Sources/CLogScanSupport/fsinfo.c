#include "logscan_support.h"

#include <errno.h>
#include <sys/vfs.h>

int logscan_fs_info(int fd, int64_t *type, int64_t *block_size) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return errno;
    *type = (int64_t)fs.f_type;
    *block_size = (int64_t)fs.f_bsize;
    return 0;
}
