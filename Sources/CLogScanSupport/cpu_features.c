#include "cpu_features.h"

int logscan_cpu_has_avx2;

#if defined(__x86_64__)
__attribute__((constructor))
static void logscan_cpu_features_init(void) {
    __builtin_cpu_init();
    logscan_cpu_has_avx2 = __builtin_cpu_supports("avx2");
}
#endif
