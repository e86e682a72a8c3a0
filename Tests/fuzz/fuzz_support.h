/* Shared by the fuzz targets: the input as a file the path-taking readers can open (a memfd,
 * reached through /proc/self/fd), and the invariants every call must keep whatever the bytes:
 * a known status, a message on failure, no handle left behind. A broken invariant aborts, so
 * libFuzzer (or the standalone driver) reports the input. */
#ifndef SNN_FUZZ_SUPPORT_H
#define SNN_FUZZ_SUPPORT_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <swiftnn.h>

/* The path of a file holding exactly data[0..size): one memfd per process, rewritten per input. */
static inline const char *fuzz_input_path(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("snn-fuzz-input", MFD_CLOEXEC);
        if (fd < 0) { perror("memfd_create"); abort(); }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
    return path;
}

static inline int64_t fuzz_live(void) {
    int64_t n = -1;
    if (snn_live_handles(&n) != SNN_OK) abort();
    return n;
}

/* A reader's status: OK, or a documented failure with a nonempty message naming `fn`. */
static inline void fuzz_check_status(snn_status st, const char *fn) {
    if (st == SNN_OK) return;
    const char *m = snn_last_error();
    if (st == SNN_ERR_INTERNAL || st < 0 || st > SNN_ERR_INTERNAL) {
        fprintf(stderr, "fuzz: %s returned %s: %s\n", fn, snn_status_string(st), m);
        abort();
    }
    if (!m || !strstr(m, fn)) {
        fprintf(stderr, "fuzz: %s failed (%s) with a message not naming it: \"%s\"\n", fn, snn_status_string(st), m ? m : "(null)");
        abort();
    }
}

static inline void fuzz_check_no_leak(int64_t before, const char *fn) {
    int64_t after = fuzz_live();
    if (after != before) {
        fprintf(stderr, "fuzz: %s leaked %lld handle(s)\n", fn, (long long)(after - before));
        abort();
    }
}
#endif
