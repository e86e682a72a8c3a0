/* swiftnn/serving.h: sessions (thread count per bound thread, nesting, errors), checkpoints
 * loaded by mmap (the parameters live in the file's mapping; in-place writes and a training
 * step copy pages instead of faulting or touching the file) and from a buffer, the fork rule
 * (a pre-forking server: children run inference after the parent used two threads, none
 * hangs), and bad arguments to every new function in a child process. */
#include "harness.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)

static char g_ckpt[64];

static snn_module *small_mlp(void) {
    snn_module *l[3] = {0}, *seq = NULL;
    CHECK_OK(snn_module_linear(&l[0], 256, 512, true));
    CHECK_OK(snn_module_relu(&l[1]));
    CHECK_OK(snn_module_linear(&l[2], 512, 10, true));
    CHECK_OK(snn_module_sequential(&seq, l, 3, NULL));
    for (int i = 0; i < 3; i++) snn_module_free(l[i]);
    CHECK_OK(snn_module_train(seq, false));
    return seq;
}

static snn_tensor *input(int64_t rows) {
    int64_t shape[2] = {rows, 256};
    float *v = malloc((size_t)rows * 256 * sizeof *v);
    for (int64_t i = 0; i < rows * 256; i++) v[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, (size_t)rows * 256, shape, 2));
    free(v);
    return t;
}

/* The first n floats of m(x). */
static int forward_floats(snn_module *m, snn_tensor *x, float *out, size_t n) {
    snn_tensor *y = NULL;
    int64_t count = 0;
    snn_status st = snn_module_forward(&y, m, x);
    if (st == SNN_OK) st = snn_tensor_numel(&count, y);
    float *all = st == SNN_OK && (size_t)count >= n ? malloc((size_t)count * sizeof *all) : NULL;
    if (all) st = snn_tensor_copy_data(all, (size_t)count, y);
    if (all && st == SNN_OK) memcpy(out, all, n * sizeof *out);
    free(all);
    snn_tensor_free(y);
    return st == SNN_OK && all ? 0 : -1;
}

/* Element 0 of a float tensor, read through its lent pointer. */
static float first_element(snn_tensor *t) {
    void *p = NULL;
    CHECK_OK(snn_tensor_data_ptr(&p, t));
    return p ? *(const float *)p : -999.0f;
}

static void sessions(void) {
    snn_session_options o;
    CHECK_OK(snn_session_options_init(&o));
    CHECK(o.struct_size == sizeof o && o.num_threads == 1, "snn_session_options_init defaults");
    snn_session *one = NULL, *three = NULL, *dflt = NULL;
    CHECK_OK(snn_session_create(&one, &o));
    o.num_threads = 3;
    CHECK_OK(snn_session_create(&three, &o));
    CHECK_OK(snn_session_create(&dflt, NULL));
    int32_t n = 0;
    CHECK_OK(snn_session_num_threads(&n, three));
    CHECK(n == 3, "snn_session_num_threads gave %d, expected 3", n);
    CHECK_OK(snn_session_num_threads(&n, dflt));
    CHECK(n == 1, "a session with NULL options has %d threads, expected 1", n);

    CHECK_OK(snn_set_num_threads(2));
    CHECK_OK(snn_session_enter(three));
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 3, "inside a 3-thread session snn_get_num_threads gave %d", n);
    CHECK_OK(snn_session_enter(one));  /* nested: the innermost counts */
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 1, "inside a nested 1-thread session snn_get_num_threads gave %d", n);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_session_exit(three));  /* not the innermost */
    CHECK(strstr(snn_last_error(), "snn_session_exit") && strstr(snn_last_error(), "innermost"),
          "message: %s", snn_last_error());
    CHECK_OK(snn_session_exit(one));
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 3, "back in the outer 3-thread session snn_get_num_threads gave %d", n);
    snn_module *m = small_mlp();
    snn_tensor *x = input(4), *y = NULL;
    CHECK_OK(snn_module_forward(&y, m, x));
    snn_tensor_free(y);
    CHECK_OK(snn_session_exit(three));
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 2, "after leaving every session snn_get_num_threads gave %d, expected 2", n);
    /* snn_session_module_forward binds for the call only */
    CHECK_OK(snn_session_module_forward(&y, three, m, x));
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 2, "after snn_session_module_forward snn_get_num_threads gave %d", n);
    snn_tensor_free(y);
    snn_module_free(m);
    snn_tensor_free(x);
    snn_session_free(three);
    snn_session_free(one);
    snn_session_free(dflt);
}

static void sessions_exit_order(void) {
    /* A thread that leaves every session it entered is back on the process-wide count. */
    snn_session *s = NULL;
    snn_session_options o;
    CHECK_OK(snn_session_options_init(&o));
    o.num_threads = 5;
    CHECK_OK(snn_session_create(&s, &o));
    CHECK_OK(snn_set_num_threads(2));
    CHECK_OK(snn_session_enter(s));
    CHECK_OK(snn_session_enter(s));
    int32_t n = 0;
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 5, "inside the session: %d threads", n);
    CHECK_OK(snn_session_exit(s));
    CHECK_OK(snn_session_exit(s));
    CHECK_OK(snn_get_num_threads(&n));
    CHECK(n == 2, "after leaving the session: %d threads, expected the process-wide 2", n);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_session_exit(s));  /* nothing bound */
    CHECK(strstr(snn_last_error(), "no session is bound"), "message: %s", snn_last_error());
    o.num_threads = 0;
    snn_session *bad = NULL;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_session_create(&bad, &o));
    CHECK(bad == NULL && strstr(snn_last_error(), "num_threads = 0"), "message: %s", snn_last_error());
    o.num_threads = 1;
    o.struct_size = 4;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_session_create(&bad, &o));
    snn_session_free(s);
}

/* Whether addr lies in a mapping of `path` (from /proc/self/maps). */
static int mapped_from(const void *addr, const char *path) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[1024];
    int found = 0;
    uintptr_t a = (uintptr_t)addr;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi && strstr(line, path)) found = 1;
    }
    fclose(f);
    return found;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    *len = buf && fread(buf, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return buf;
}

static void mapped_and_buffered(void) {
    snn_module *m = small_mlp();
    CHECK_OK(snn_module_save(m, g_ckpt));
    snn_tensor *x = input(3);
    float want[30], got[30];
    CHECK(forward_floats(m, x, want, 30) == 0, "forward of the saved model: %s", snn_last_error());
    size_t len = 0;
    unsigned char *before = read_file(g_ckpt, &len);

    snn_load_options o;
    CHECK_OK(snn_load_options_init(&o));
    CHECK(o.struct_size == sizeof o && !o.mmap, "snn_load_options_init defaults");
    o.mmap = true;
    snn_module *mapped = NULL, *copied = NULL, *buffered = NULL;
    CHECK_OK(snn_module_load_ex(&mapped, g_ckpt, &o));
    CHECK_OK(snn_module_load_ex(&copied, g_ckpt, NULL));
    CHECK_OK(snn_module_load_buffer(&buffered, before, len));
    CHECK_OK(snn_module_train(mapped, false));
    CHECK(forward_floats(mapped, x, got, 30) == 0 && !memcmp(got, want, sizeof want), "mapped model's output differs");
    CHECK(forward_floats(copied, x, got, 30) == 0 && !memcmp(got, want, sizeof want), "copied model's output differs");
    CHECK(forward_floats(buffered, x, got, 30) == 0 && !memcmp(got, want, sizeof want), "buffer-loaded model's output differs");

    /* where the weights live: in the file's mapping for the mapped model, elsewhere for the others */
    snn_tensor *params[4] = {0}, *cparams[4] = {0};
    size_t np = 0;
    CHECK_OK(snn_module_parameters(params, 4, &np, mapped));
    CHECK_OK(snn_module_parameters(cparams, 4, &np, copied));
    void *p = NULL, *cp = NULL;
    CHECK_OK(snn_tensor_data_ptr(&p, params[0]));
    CHECK_OK(snn_tensor_data_ptr(&cp, cparams[0]));
    CHECK(mapped_from(p, g_ckpt), "the mapped model's 0.weight is not in a mapping of %s", g_ckpt);
    CHECK(!mapped_from(cp, g_ckpt), "the copied model's 0.weight is in a mapping of the file");

    /* in-place write into a mapped parameter: a private copy of the page, the file unchanged */
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_tensor_fill_(params[0], 0.25));
    CHECK_OK(snn_no_grad_end());
    float first = first_element(params[0]);
    CHECK(first == 0.25f, "mapped weight after fill_: %g", first);

    /* a training step on the mapped model: backward and SGD write every parameter */
    CHECK_OK(snn_module_train(mapped, true));
    snn_tensor *y = NULL, *loss = NULL;
    CHECK_OK(snn_module_forward(&y, mapped, x));
    CHECK_OK(snn_tensor_sum(&loss, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    snn_optimizer *opt = NULL;
    snn_sgd_options so;
    CHECK_OK(snn_sgd_options_init(&so));
    so.lr = 0.1;
    CHECK_OK(snn_optimizer_sgd(&opt, params, np, &so));
    CHECK_OK(snn_optimizer_step(opt));
    first = first_element(params[0]);
    CHECK(first != 0.25f, "an SGD step did not change the mapped weight (%g)", first);
    size_t len2 = 0;
    unsigned char *after = read_file(g_ckpt, &len2);
    CHECK(after && len2 == len && !memcmp(before, after, len), "writing mapped tensors changed the file");
    free(after);

    /* the tensor map reader maps too; a buffer reader copies */
    snn_tensor_map *tm = NULL, *tb = NULL;
    CHECK_OK(snn_tensor_map_load_ex(&tm, g_ckpt, &o));
    CHECK_OK(snn_tensor_map_load_buffer(&tb, before, len));
    snn_tensor *w = NULL, *wb = NULL;
    CHECK_OK(snn_tensor_map_get(&w, tm, "2.weight"));
    CHECK_OK(snn_tensor_map_get(&wb, tb, "2.weight"));
    void *wp = NULL, *wbp = NULL;
    CHECK_OK(snn_tensor_data_ptr(&wp, w));
    CHECK_OK(snn_tensor_data_ptr(&wbp, wb));
    CHECK(mapped_from(wp, g_ckpt) && !mapped_from(wbp, g_ckpt), "tensor map: mapped %d, buffer %d",
          mapped_from(wp, g_ckpt), mapped_from(wbp, g_ckpt));
    CHECK(!memcmp(wp, wbp, 512 * 10 * sizeof(float)), "mapped and buffer-read 2.weight differ");

    /* malformed buffers are format errors, never crashes */
    snn_module *bad = NULL;
    EXPECT_STATUS(SNN_ERR_FORMAT, snn_module_load_buffer(&bad, before, 7));
    EXPECT_STATUS(SNN_ERR_FORMAT, snn_module_load_buffer(&bad, before, len - 1));
    CHECK(bad == NULL, "failed load left a handle");
    unsigned char zeros[16] = {0};
    snn_tensor_map *badmap = NULL;
    EXPECT_STATUS(SNN_ERR_FORMAT, snn_tensor_map_load_buffer(&badmap, zeros, sizeof zeros));
    CHECK(badmap == NULL, "failed load left a map handle");

    free(before);
    snn_tensor_free(w); snn_tensor_free(wb);
    snn_tensor_map_free(tm); snn_tensor_map_free(tb);
    snn_optimizer_free(opt);
    snn_tensor_free(loss); snn_tensor_free(y);
    for (int i = 0; i < 4; i++) { snn_tensor_free(params[i]); snn_tensor_free(cparams[i]); }
    snn_module_free(mapped); snn_module_free(copied); snn_module_free(buffered);
    snn_module_free(m);
    snn_tensor_free(x);
}

/* A pre-forking server: the parent runs an LSTM and an MLP on 2 threads (starting the engine's
 * helper threads), then forks 3 workers; each runs the same inference on 2 threads and must get
 * the parent's bits. A child stuck on a lock or a vanished helper thread would hang: each has a
 * 60-second alarm, so a hang fails the test instead of stalling it. */
static void fork_after_threads(void) {
    CHECK_OK(snn_set_num_threads(2));
    snn_rnn_options ro;
    CHECK_OK(snn_rnn_options_init(&ro));
    ro.input_size = 32;
    ro.hidden_size = 256;
    snn_module *lstm = NULL;
    CHECK_OK(snn_module_lstm(&lstm, &ro));
    snn_module *mlp = small_mlp();
    snn_load_options lo;
    CHECK_OK(snn_load_options_init(&lo));
    lo.mmap = true;
    snn_module *mapped = NULL;
    CHECK_OK(snn_module_save(mlp, g_ckpt));
    CHECK_OK(snn_module_load_ex(&mapped, g_ckpt, &lo));
    int64_t shape[3] = {6, 32, 32};
    float *v = malloc(6 * 32 * 32 * sizeof *v);
    for (int i = 0; i < 6 * 32 * 32; i++) v[i] = (float)((i * 13) % 29) / 14.0f - 1.0f;
    snn_tensor *seq = NULL, *x = input(64);
    CHECK_OK(snn_tensor_from_data(&seq, v, 6 * 32 * 32, shape, 3));
    free(v);
    CHECK_OK(snn_no_grad_begin());
    float want_lstm[64], want_mlp[64], want_mapped[64];
    CHECK(forward_floats(lstm, seq, want_lstm, 64) == 0, "parent LSTM: %s", snn_last_error());
    CHECK(forward_floats(mlp, x, want_mlp, 64) == 0, "parent MLP: %s", snn_last_error());
    CHECK(forward_floats(mapped, x, want_mapped, 64) == 0, "parent mapped MLP: %s", snn_last_error());
    fflush(NULL);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            alarm(60);
            float got[64];
            int bad = 0;
            for (int round = 0; round < 3; round++) {
                bad |= forward_floats(lstm, seq, got, 64) != 0 || memcmp(got, want_lstm, sizeof got) != 0;
                bad |= forward_floats(mlp, x, got, 64) != 0 || memcmp(got, want_mlp, sizeof got) != 0;
                bad |= forward_floats(mapped, x, got, 64) != 0 || memcmp(got, want_mapped, sizeof got) != 0;
            }
            _exit(bad ? 3 : 0);
        }
        CHECK(kids[k] > 0, "fork failed");
    }
    /* the parent keeps serving while its children run */
    float got[64];
    CHECK(forward_floats(lstm, seq, got, 64) == 0 && !memcmp(got, want_lstm, sizeof got), "parent after fork: LSTM differs");
    for (int k = 0; k < 3; k++) {
        int status = 0;
        if (kids[k] <= 0) continue;
        waitpid(kids[k], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "forked worker %d: %s %d (3: outputs differ, SIGALRM: hung)", k,
              WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    CHECK_OK(snn_no_grad_end());
    snn_tensor_free(seq); snn_tensor_free(x);
    snn_module_free(lstm); snn_module_free(mlp); snn_module_free(mapped);
}

/* Every new function with NULL, freed and garbage handles and bad sizes, in a child process
 * (a crash fails this check instead of ending the test). */
static void bad_input_in_child(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int failures = 0;
#define WANT(want, call) do { snn_status s_ = (call); if (s_ != (want)) { failures++; \
    fprintf(stderr, "FAIL %s -> %s, expected %s: %s\n", #call, snn_status_string(s_), snn_status_string(want), snn_last_error()); } } while (0)
        snn_session *s = NULL, *freed = NULL;
        snn_session *garbage = (snn_session *)(uintptr_t)0xdeadbeef0ULL;
        WANT(SNN_OK, snn_session_create(&freed, NULL));
        WANT(SNN_OK, snn_session_free(freed));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_options_init(NULL));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_create(NULL, NULL));
        WANT(SNN_OK, snn_session_free(NULL));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_free(freed));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_free(garbage));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_enter(NULL));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_enter(freed));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_exit(garbage));
        int32_t n = 0;
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_num_threads(NULL, NULL));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_num_threads(&n, freed));
        /* a tensor handle where a session is expected */
        snn_tensor *t = NULL;
        float one = 1;
        int64_t shape[1] = {1};
        WANT(SNN_OK, snn_tensor_from_data(&t, &one, 1, shape, 1));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_enter((snn_session *)t));
        WANT(SNN_OK, snn_session_create(&s, NULL));
        snn_tensor *y = NULL;
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_module_forward(&y, s, NULL, t));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_module_forward(&y, s, (snn_module *)t, t));
        WANT(SNN_ERR_INVALID_HANDLE, snn_session_module_forward(&y, freed, NULL, t));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_session_module_forward(NULL, s, NULL, t));
        snn_module *m = NULL;
        snn_tensor_map *tm = NULL;
        snn_load_options lo;
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_load_options_init(NULL));
        WANT(SNN_OK, snn_load_options_init(&lo));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_module_load_ex(&m, NULL, &lo));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_module_load_ex(NULL, g_ckpt, &lo));
        WANT(SNN_ERR_IO, snn_module_load_ex(&m, "/nonexistent/x.safetensors", &lo));
        lo.mmap = true;
        WANT(SNN_ERR_IO, snn_module_load_ex(&m, "/nonexistent/x.safetensors", &lo));
        WANT(SNN_ERR_IO, snn_module_load_ex(&m, "/tmp", &lo));
        WANT(SNN_ERR_IO, snn_tensor_map_load_ex(&tm, "/tmp", &lo));
        lo.struct_size = 3;
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_module_load_ex(&m, g_ckpt, &lo));
        lo.struct_size = sizeof lo + 8;
        WANT(SNN_ERR_UNSUPPORTED, snn_tensor_map_load_ex(&tm, g_ckpt, &lo));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_module_load_buffer(&m, NULL, 10));
        WANT(SNN_ERR_FORMAT, snn_module_load_buffer(&m, NULL, 0));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_module_load_buffer(NULL, &one, 4));
        WANT(SNN_ERR_INVALID_ARGUMENT, snn_tensor_map_load_buffer(&tm, NULL, 1));
        WANT(SNN_ERR_FORMAT, snn_tensor_map_load_buffer(&tm, &one, 4));
        /* a header length that runs past the buffer, and a huge one */
        unsigned char hdr[16] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
        WANT(SNN_ERR_FORMAT, snn_tensor_map_load_buffer(&tm, hdr, sizeof hdr));
        unsigned char huge[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
        WANT(SNN_ERR_FORMAT, snn_module_load_buffer(&m, huge, sizeof huge));
        if (m || tm) { failures++; fprintf(stderr, "FAIL a failed load left a handle\n"); }
        snn_tensor_free(t);
        snn_session_free(s);
        _exit(failures > 100 ? 100 : failures);
#undef WANT
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "bad-input child: %s %d",
          WIFEXITED(status) ? "failures" : "killed by signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

int main(void) {
    int64_t baseline = live_handles();
    snprintf(g_ckpt, sizeof g_ckpt, "/tmp/snn_serving_%d.safetensors", (int)getpid());
    sessions();
    sessions_exit_order();
    mapped_and_buffered();
    bad_input_in_child();
    fork_after_threads();
    unlink(g_ckpt);
    CHECK(live_handles() == baseline, "handles leaked: %lld live, %lld at start", (long long)live_handles(), (long long)baseline);
    return report("test_serving");
}
