// How many CPUs this process may run on: its affinity mask (taskset, a
// cgroup cpuset), not the machine's count. `--io auto` asks whether a core
// is spare for the read-ahead thread, and grep sizes its workers, by it.
#define _GNU_SOURCE
#include "logscan_support.h"

#include <sched.h>
#include <unistd.h>

int logscan_usable_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
