/* Regression tests for the defects of issue 20's reliability campaign, through the C API. Each
 * check runs in a forked child (a crash, a hang past its alarm or a stack overflow fails the
 * check instead of killing the runner) and says which defect it guards. Every one failed
 * against the library before the fix (LD_LIBRARY_PATH=<old build>/lib build/tests/test_robust).
 * Device nodes are never touched: non-regular targets are a FIFO, a directory and (as root) a
 * character device made with mknod in a scratch directory, because the old library replaced
 * whatever it saved to. */
#define _GNU_SOURCE
#include "harness.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* fsync, interposed: the library's calls land here (the executable's definition wins), so the
 * test sees whether a directory was fsynced after the rename. */
static int g_dir_fsyncs;
int fsync(int fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) g_dir_fsyncs++;
    return (int)syscall(SYS_fsync, fd);
}

#define MENTIONS(text) CHECK(strstr(snn_last_error(), (text)) != NULL, "message \"%s\" does not mention \"%s\"", snn_last_error(), (text))

static snn_module *linear(void) {
    snn_module *m = NULL;
    CHECK_OK(snn_module_linear(&m, 2, 2, true));
    return m;
}

static snn_tensor *zeros(const int64_t *shape, size_t ndim) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_zeros(&t, shape, ndim));
    return t;
}

static char g_dir[64];

static void scratch(void) {
    strcpy(g_dir, "/tmp/snn-robust-XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); exit(2); }
}

static int count_entries(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    return n;
}

/* ---- defect: append(s, s) returned OK, then forward/count/save recursed to SIGSEGV ---- */
static int cycles(void) {
    snn_module *lin = linear(), *s = NULL, *inner = NULL, *outer = NULL;
    CHECK_OK(snn_module_sequential(&s, &lin, 1, NULL));
    CHECK(snn_module_sequential_append(s, s) == SNN_ERR_INVALID_ARGUMENT, "append(s, s) accepted");
    MENTIONS("snn_module_sequential_append");
    MENTIONS("cycle");
    CHECK_OK(snn_module_sequential(&inner, &lin, 1, NULL));
    CHECK_OK(snn_module_sequential(&outer, &inner, 1, NULL));
    CHECK(snn_module_sequential_append(inner, outer) == SNN_ERR_INVALID_ARGUMENT, "append(child, parent) accepted");
    MENTIONS("cycle");
    CHECK_OK(snn_module_sequential_append(outer, lin));  /* sharing is not a cycle */
    int64_t count = 0;
    CHECK_OK(snn_module_parameter_count(&count, s, false));
    CHECK(count == 6, "parameter count %lld", (long long)count);
    const int64_t shape[2] = {1, 2};
    snn_tensor *x = zeros(shape, 2), *y = NULL;
    CHECK_OK(snn_module_forward(&y, s, x));
    char path[128];
    snprintf(path, sizeof path, "%s/cycle.safetensors", g_dir);
    CHECK_OK(snn_module_save(s, path));
    unlink(path);
    snn_tensor_free(x); snn_tensor_free(y);
    snn_module_free(s); snn_module_free(inner); snn_module_free(outer); snn_module_free(lin);
    return 0;
}

/* ---- defect: unbounded nesting (stack overflow on every walk) ---- */
static int nesting(void) {
    snn_module *m = linear();
    for (int i = 1; i < 1000; i++) {
        snn_module *s = NULL;
        CHECK_OK(snn_module_sequential(&s, &m, 1, NULL));
        snn_module_free(m);
        m = s;
    }
    snn_module *over = NULL;
    CHECK(snn_module_sequential(&over, &m, 1, NULL) == SNN_ERR_INVALID_ARGUMENT, "1,001 levels accepted");
    MENTIONS("limit of 1000");
    const int64_t shape[2] = {3, 2};
    snn_tensor *x = zeros(shape, 2), *y = NULL;
    CHECK_OK(snn_module_forward(&y, m, x));
    char path[128];
    snprintf(path, sizeof path, "%s/deep.safetensors", g_dir);
    CHECK_OK(snn_module_save(m, path));
    snn_module *back = NULL;
    CHECK_OK(snn_module_load(&back, path));
    unlink(path);
    snn_tensor_free(x); snn_tensor_free(y);
    snn_module_free(back);
    snn_module_free(m);
    CHECK(live_handles() == 0, "%lld handles leaked", (long long)live_handles());
    return 0;
}

/* A checkpoint whose architecture nests `n` Sequentials around a ReLU (no tensors). */
static void write_nested_checkpoint(const char *path, int n) {
    const char *open_ = "\\\"type\\\":\\\"Sequential\\\",\\\"config\\\":{},\\\"children\\\":[{\\\"name\\\":\\\"0\\\",";
    const char *leaf = "\\\"type\\\":\\\"ReLU\\\",\\\"config\\\":{}}";
    const char *close_ = "]}";
    size_t cap = (size_t)n * (strlen(open_) + strlen(close_)) + 256;
    char *h = malloc(cap), *p = h;
    p += sprintf(p, "{\"__metadata__\":{\"format\":\"pt\",\"swiftnn.architecture\":\"{");
    for (int i = 0; i < n; i++) { memcpy(p, open_, strlen(open_)); p += strlen(open_); }
    p += sprintf(p, "%s", leaf);
    for (int i = 0; i < n; i++) { memcpy(p, close_, 2); p += 2; }
    p += sprintf(p, "\"}}");
    while ((p - h) % 8) *p++ = ' ';
    uint64_t len = (uint64_t)(p - h);
    FILE *f = fopen(path, "wb");
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(len >> (8 * i));
    fwrite(le, 1, 8, f);
    fwrite(h, 1, len, f);
    fclose(f);
    free(h);
}

/* ---- defect: 100,000 nested Sequentials took > 100 s to load (quadratic); the alarm of
 * 30 s fails the old library, the new one refuses at once at the documented limit ---- */
static int deep_file(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/nested.safetensors", g_dir);
    write_nested_checkpoint(path, 100000);
    snn_module *m = NULL;
    CHECK(snn_module_load(&m, path) == SNN_ERR_FORMAT && m == NULL, "100,000 nested Sequentials not refused");
    MENTIONS("snn_module_load");
    MENTIONS("modules nest at most 1000 deep");
    write_nested_checkpoint(path, 1000);
    CHECK(snn_module_load(&m, path) == SNN_ERR_FORMAT, "1,001 modules not refused");
    MENTIONS("modules nest deeper than the limit of 1000");
    write_nested_checkpoint(path, 999);
    CHECK_OK(snn_module_load(&m, path));
    snn_module_free(m);
    unlink(path);
    return 0;
}

/* ---- defects: stale *.tmp.<pid> files accumulated; the directory was not fsynced; a
 * device or FIFO was replaced by a regular file; temp files of failed saves ---- */
static int saving(void) {
    snn_module *m = linear();
    char path[128], stale[192], other[192];
    snprintf(path, sizeof path, "%s/m.safetensors", g_dir);
    /* a killed save's temporary: its pid (past the largest pid_max) cannot be alive */
    snprintf(stale, sizeof stale, "%s.tmp.99999999", path);
    snprintf(other, sizeof other, "%s.tmp.99999998.12", path);
    close(open(stale, O_CREAT | O_WRONLY, 0644));
    close(open(other, O_CREAT | O_WRONLY, 0644));
    g_dir_fsyncs = 0;
    CHECK_OK(snn_module_save(m, path));
    CHECK(access(stale, F_OK) != 0 && access(other, F_OK) != 0, "stale temporaries were not removed");
    CHECK(count_entries(g_dir, "m.safetensors.tmp.") == 0, "a temporary is left");
    CHECK(g_dir_fsyncs >= 1, "the directory was not fsynced after the rename");
    unlink(path);

    char fifo[128], dev[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", g_dir);
    CHECK(mkfifo(fifo, 0644) == 0, "mkfifo: %s", strerror(errno));
    CHECK(snn_module_save(m, fifo) == SNN_ERR_IO, "saving over a FIFO accepted");
    MENTIONS("it is a FIFO, not a regular file");
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
    CHECK(snn_module_save(m, g_dir) == SNN_ERR_IO, "saving over a directory accepted");
    MENTIONS("it is a directory");
    snprintf(dev, sizeof dev, "%s/full", g_dir);
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 7)) == 0) {  /* /dev/full's numbers (root only) */
        CHECK(snn_module_save(m, dev) == SNN_ERR_IO, "saving over a character device accepted");
        MENTIONS("it is a character device, not a regular file");
        CHECK(lstat(dev, &st) == 0 && S_ISCHR(st.st_mode), "the device node was replaced");
        unlink(dev);
    }
    unlink(fifo);

    /* a write error (the file size limit stands in for a full disk: EFBIG like ENOSPC) is
     * reported, and the temporary is removed */
    struct rlimit rl = {4096, 4096};
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
    snn_module *big = NULL;
    CHECK_OK(snn_module_linear(&big, 100, 100, true));
    CHECK(snn_module_save(big, path) == SNN_ERR_IO, "a failed write was reported as success");
    MENTIONS("File too large");
    CHECK(access(path, F_OK) != 0 && count_entries(g_dir, "m.safetensors") == 0, "the failed save left a file");
    snn_module_free(big);
    snn_module_free(m);
    return 0;
}

/* ---- defect: fit on an empty loader returned OK having done nothing ---- */
static int empty_fit(void) {
    snn_module *m = linear();
    const int64_t xs[2] = {0, 2}, ys[1] = {0};
    snn_tensor *x = zeros(xs, 2), *y = NULL;
    CHECK_OK(snn_tensor_from_int64(&y, NULL, 0, ys, 1));
    snn_dataloader *dl = NULL;
    CHECK_OK(snn_dataloader_new(&dl, x, y, 4, false, 0, false));
    snn_tensor *params[2];
    size_t n = 0;
    CHECK_OK(snn_module_parameters(params, 2, &n, m));
    snn_optimizer *opt = NULL;
    CHECK_OK(snn_optimizer_sgd(&opt, params, n, NULL));
    snn_fit_options fo;
    CHECK_OK(snn_fit_options_init(&fo));
    CHECK(snn_classifier_fit(m, opt, dl, &fo) == SNN_ERR_INVALID_ARGUMENT, "fit on an empty loader accepted");
    MENTIONS("snn_classifier_fit: train: the data loader is empty: it holds 0 samples");
    snn_optimizer_free(opt);
    for (size_t i = 0; i < n; i++) snn_tensor_free(params[i]);
    snn_dataloader_free(dl);
    snn_tensor_free(x); snn_tensor_free(y);
    snn_module_free(m);
    return 0;
}

/* ---- defects: the four messages ---- */
static int messages(void) {
    snn_rnn_options o;
    CHECK_OK(snn_rnn_options_init(&o));
    o.input_size = 10;
    o.hidden_size = 4;
    snn_module *lstm = NULL;
    CHECK_OK(snn_module_lstm(&lstm, &o));
    const int64_t xs[3] = {5, 3, 7};
    snn_tensor *x = zeros(xs, 3), *y = NULL;
    CHECK(snn_module_forward(&y, lstm, x) == SNN_ERR_SHAPE, "wrong input size accepted");
    MENTIONS("input.size(-1) must be equal to input_size. Expected 10, got 7 (input of shape [5, 3, 7])");
    CHECK(strstr(snn_last_error(), "weight_ih") == NULL, "message blames a weight: %s", snn_last_error());
    snn_tensor_free(x);
    snn_module_free(lstm);

    /* load_state_dict: only the nonempty key lists; a size mismatch names the key */
    snn_module *m = linear();
    snn_tensor_map *sd = NULL;
    CHECK_OK(snn_tensor_map_new(&sd));
    const int64_t ws[2] = {3, 2};
    snn_tensor *w = zeros(ws, 2);
    CHECK_OK(snn_tensor_map_set(sd, "weight", w));
    CHECK(snn_module_load_state_dict(m, sd, true) != SNN_OK, "a bad state dict was accepted");
    MENTIONS("Missing key(s) in state_dict: \"bias\".");
    MENTIONS("size mismatch for weight: copying a param with shape [3, 2] from checkpoint, the shape in current model is [2, 2].");
    CHECK(strstr(snn_last_error(), "nexpected") == NULL && strstr(snn_last_error(), "[]") == NULL, "empty list printed: %s", snn_last_error());
    snn_tensor_free(w);
    snn_tensor_map_free(sd);
    snn_module_free(m);

    /* a PyTorch checkpoint is named as one, by every safetensors reader */
    static const unsigned char legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20,
                                           0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x4d, 0xe9, 0x03};
    static const unsigned char zip[] = {'P', 'K', 3, 4, 0, 0, 8, 8, 0, 0, 0x4e, 0x5b, 0x21, 0x58, 0, 0, 0, 0, 0, 0};
    struct { const unsigned char *bytes; size_t n; const char *kind; } files[] = {
        {legacy, sizeof legacy, "this is a PyTorch pickle checkpoint"}, {zip, sizeof zip, "this is a PyTorch zip checkpoint"}};
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/model.pth", g_dir);
        FILE *f = fopen(path, "wb");
        fwrite(files[i].bytes, 1, files[i].n, f);
        fclose(f);
        snn_module *lm = NULL;
        CHECK(snn_module_load(&lm, path) == SNN_ERR_FORMAT, "snn_module_load accepted a .pth");
        MENTIONS(files[i].kind);
        MENTIONS("tools/torch_to_safetensors.py");
        snn_tensor_map *tm = NULL;
        CHECK(snn_tensor_map_load(&tm, path) == SNN_ERR_FORMAT, "snn_tensor_map_load accepted a .pth");
        MENTIONS(files[i].kind);
        unlink(path);
    }
    return 0;
}

int main(void) {
    scratch();
    run_in_child("cycles are refused at append", 60, cycles);
    run_in_child("nesting is limited at construction", 120, nesting);
    run_in_child("deep architecture metadata is refused quickly", 30, deep_file);
    run_in_child("saves: stale temporaries, directory fsync, non-regular targets, write errors", 60, saving);
    run_in_child("fit on an empty loader", 60, empty_fit);
    run_in_child("the four messages", 60, messages);
    rmdir(g_dir);
    return report("test_robust");
}
