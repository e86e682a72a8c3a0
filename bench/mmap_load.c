/* Loading a checkpoint by mmap versus by reading it (swiftnn/serving.h), on a model of 25M
 * float32 parameters the engine writes itself: Linear(5000, 5000), 25,005,000 parameters, a
 * 100 MB safetensors file. bench/bench_mmap.py drives it (two processes at once, memory read
 * from /proc/<pid>/smaps_rollup); by hand:
 *
 *     cc -O2 -Iinclude bench/mmap_load.c -o build/mmap_load -Lbuild/lib -lswiftnn -Wl,-rpath,$PWD/build/lib
 *     build/mmap_load write /tmp/big.safetensors
 *     build/mmap_load load /tmp/big.safetensors mmap     # or copy
 *     build/mmap_load load-map /tmp/big.safetensors mmap # the state dict alone, no module
 *
 * `load` prints "load_seconds=<s> forward_seconds=<s>" after loading and one forward (which
 * reads every weight, so every page is resident), then "ready" and waits for stdin to close,
 * so that a driver can measure two loaded processes at the same time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swiftnn.h"

#define FEATURES 5000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, snn_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s write PATH | load PATH mmap|copy\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "write")) {
        snn_module *lin = NULL, *seq = NULL;
        if (snn_module_linear(&lin, FEATURES, FEATURES, true) != SNN_OK) return fail("linear");
        if (snn_module_sequential(&seq, &lin, 1, NULL) != SNN_OK) return fail("sequential");
        int64_t n = 0;
        snn_module_parameter_count(&n, seq, false);
        if (snn_module_save(seq, argv[2]) != SNN_OK) return fail("save");
        printf("parameters=%lld\n", (long long)n);
        snn_module_free(lin);
        snn_module_free(seq);
        return 0;
    }
    if ((strcmp(argv[1], "load") && strcmp(argv[1], "load-map")) || argc < 4) return 2;
    snn_load_options o;
    snn_load_options_init(&o);
    o.mmap = !strcmp(argv[3], "mmap");
    if (!strcmp(argv[1], "load-map")) {
        /* the state dict alone (swiftnn.load(path, mmap=...)): no module to build */
        snn_tensor_map *map = NULL;
        double t0 = now();
        if (snn_tensor_map_load_ex(&map, argv[2], &o) != SNN_OK) return fail("load");
        double t1 = now();
        size_t n = 0;
        snn_tensor_map_count(&n, map);
        double sum = 0;
        for (size_t i = 0; i < n; i++) {  /* read one float per page: every page resident */
            char name[256];
            snn_tensor *t = NULL;
            void *p = NULL;
            int64_t count = 0;
            snn_tensor_map_name(name, sizeof name, NULL, map, i);
            snn_tensor_map_get(&t, map, name);
            snn_tensor_data_ptr(&p, t);
            snn_tensor_numel(&count, t);
            for (int64_t k = 0; k < count; k += 1024) sum += ((const float *)p)[k];
            snn_tensor_free(t);
        }
        double t2 = now();
        printf("load_seconds=%.4f forward_seconds=%.4f checksum=%g\nready\n", t1 - t0, t2 - t1, sum);
        fflush(stdout);
        char buf[64];
        while (fgets(buf, sizeof buf, stdin)) {}
        snn_tensor_map_free(map);
        return 0;
    }
    snn_module *m = NULL;
    double t0 = now();
    if (snn_module_load_ex(&m, argv[2], &o) != SNN_OK) return fail("load");
    double t1 = now();
    snn_module_train(m, false);
    snn_no_grad_begin();
    float *x = calloc(FEATURES, sizeof *x);
    for (int i = 0; i < FEATURES; i++) x[i] = (float)(i % 7) - 3;
    int64_t shape[2] = {1, FEATURES};
    snn_tensor *xt = NULL, *y = NULL;
    snn_tensor_from_data(&xt, x, FEATURES, shape, 2);
    double t2 = now();
    if (snn_module_forward(&y, m, xt) != SNN_OK) return fail("forward");
    double t3 = now();
    printf("load_seconds=%.4f forward_seconds=%.4f\nready\n", t1 - t0, t3 - t2);
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin)) {}
    snn_tensor_free(y);
    snn_tensor_free(xt);
    snn_module_free(m);
    free(x);
    return 0;
}
