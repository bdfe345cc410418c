// How many page faults it takes to touch a mapping of cached file pages:
// `--io auto` asks (PageCacheProbe.pagesPerFault) to tell a page cache of
// order-0 folios, where a mapped scan pays a fault per 16 pages and a copy
// wins, from one of large folios, where a fault maps a whole folio and the
// mapping wins (docs/DESIGN.md, "I/O").
#define _GNU_SOURCE
#include "logscan_support.h"

#include <sys/resource.h>

int64_t logscan_faults_touching(const void *base, size_t len, size_t page) {
    struct rusage before, after;
    if (page == 0 || getrusage(RUSAGE_THREAD, &before) != 0) return -1;
    const volatile unsigned char *p = (const volatile unsigned char *)base;
    for (size_t o = 0; o < len; o += page) (void)p[o];
    if (getrusage(RUSAGE_THREAD, &after) != 0) return -1;
    return (int64_t)(after.ru_minflt - before.ru_minflt);
}
