// CPU features the C helpers dispatch on, read once at load time.
#ifndef LOGSCAN_CPU_FEATURES_H
#define LOGSCAN_CPU_FEATURES_H

/// Nonzero when the CPU runs AVX2 (x86-64); always 0 elsewhere.
extern int logscan_cpu_has_avx2;

#endif
