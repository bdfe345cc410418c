// Runs a fuzz target: under libFuzzer when the binary was built with
// -sanitize=fuzzer (LLVMFuzzerRunDriver is then linked in), otherwise over
// the files and directories named on the command line (regression mode, so
// the same binary replays a corpus in an ordinary build).
#ifndef LOGSCAN_FUZZ_DRIVER_H
#define LOGSCAN_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

typedef int (*logscan_fuzz_callback)(const uint8_t *data, size_t size);

/// Returns the process exit status.
int logscan_fuzz_run(int argc, char **argv, logscan_fuzz_callback callback);

/// 1 when libFuzzer is linked in.
int logscan_fuzz_has_libfuzzer(void);

#endif
