#define _GNU_SOURCE
#include "fuzz_driver.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// Weak: resolved to libFuzzer's driver when -sanitize=fuzzer links it in,
// NULL otherwise (an ordinary build still links and runs).
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))
    __attribute__((weak));

int logscan_fuzz_has_libfuzzer(void) { return LLVMFuzzerRunDriver != NULL; }

static long run_file(const char *path, logscan_fuzz_callback callback) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    size_t got = fread(data, 1, (size_t)(size > 0 ? size : 0), f);
    fclose(f);
    callback(data, got);
    free(data);
    return 1;
}

static long run_path(const char *path, logscan_fuzz_callback callback) {
    struct stat st;
    if (stat(path, &st) != 0) { perror(path); return -1; }
    if (!S_ISDIR(st.st_mode)) return run_file(path, callback);
    DIR *dir = opendir(path);
    if (!dir) { perror(path); return -1; }
    long n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char *child;
        if (asprintf(&child, "%s/%s", path, entry->d_name) < 0) break;
        long r = run_path(child, callback);
        free(child);
        if (r < 0) { closedir(dir); return -1; }
        n += r;
    }
    closedir(dir);
    return n;
}

int logscan_fuzz_run(int argc, char **argv, logscan_fuzz_callback callback) {
    if (LLVMFuzzerRunDriver) return LLVMFuzzerRunDriver(&argc, &argv, callback);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') continue;  // libFuzzer flags: meaningless here
        long n = run_path(argv[i], callback);
        if (n < 0) return 2;
        total += n;
    }
    fprintf(stderr, "logscan-fuzz: replayed %ld inputs (no libFuzzer in this build)\n", total);
    return 0;
}
