/* The log callback (swiftnn/log.h): messages reach the host's callback with their levels
 * (failed calls at debug, the engine's thread pool and the AVX2 fallback at info, a
 * deprecation once at warning), the threshold filters, NULL removes the callback, a message
 * the callback causes is dropped instead of recursing, calls from many threads never overlap,
 * and through all of it the library writes nothing to stdout or stderr (checked on the
 * child's redirected output). */
#define _GNU_SOURCE
#include "harness.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MESSAGES 4096
static struct { snn_log_level level; char text[256]; } g_msgs[MAX_MESSAGES];
static int g_count;
static atomic_int g_inside, g_overlaps;
static int g_reenter;

static void record(snn_log_level level, const char *message, void *user_data) {
    CHECK(user_data == (void *)&g_count, "user_data not passed through");
    if (atomic_fetch_add(&g_inside, 1) != 0) atomic_fetch_add(&g_overlaps, 1);
    if (g_count < MAX_MESSAGES) {
        g_msgs[g_count].level = level;
        snprintf(g_msgs[g_count].text, sizeof g_msgs[g_count].text, "%s", message);
        g_count++;
    }
    if (g_reenter) {  /* a failing call from inside the callback: its message must be dropped */
        snn_tensor *o = NULL;
        snn_tensor_add(&o, NULL, NULL);
    }
    atomic_fetch_sub(&g_inside, 1);
}

static int find(snn_log_level level, const char *text) {
    int n = 0;
    for (int i = 0; i < g_count; i++) n += g_msgs[i].level == level && strstr(g_msgs[i].text, text) != NULL;
    return n;
}

static void *fail_often(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        snn_tensor *o = NULL;
        snn_tensor_add(&o, NULL, NULL);
    }
    return NULL;
}

static void run_lstm(void) {
    snn_rnn_options o;
    CHECK_OK(snn_rnn_options_init(&o));
    o.input_size = 8;
    o.hidden_size = 256;
    snn_module *lstm = NULL;
    CHECK_OK(snn_module_lstm(&lstm, &o));
    const int64_t shape[3] = {2, 256, 8};  /* batch 256 x 4 gates x 256 units: worth two workers */
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_tensor_zeros(&x, shape, 3));
    CHECK_OK(snn_module_forward(&y, lstm, x));
    snn_tensor_free(x); snn_tensor_free(y);
    snn_module_free(lstm);
}

static int body(void) {
    snn_log_level level = SNN_LOG_OFF;
    CHECK_OK(snn_get_log_level(&level));
    CHECK(level == SNN_LOG_WARNING, "default threshold %d", (int)level);
    CHECK(snn_set_log_level((snn_log_level)99) == SNN_ERR_INVALID_ARGUMENT, "level 99 accepted");
    CHECK(strstr(snn_last_error(), "snn_set_log_level") != NULL, "message: %s", snn_last_error());

    /* no callback: failures are silent (the redirected output is checked by the parent) */
    snn_tensor *o = NULL;
    snn_tensor_add(&o, NULL, NULL);

    CHECK_OK(snn_set_log_callback(record, &g_count));
    CHECK_OK(snn_set_log_level(SNN_LOG_DEBUG));
    CHECK(snn_tensor_add(&o, NULL, NULL) != SNN_OK, "add(NULL, NULL) succeeded");
    CHECK(find(SNN_LOG_DEBUG, "snn_tensor_add") == 1, "the failed call was not logged at debug (%d messages)", g_count);

    CHECK_OK(snn_set_num_threads(2));
    run_lstm();
    CHECK(find(SNN_LOG_INFO, "SWIFTNN_NO_AVX512 is set") + find(SNN_LOG_WARNING, "AVX-512 is not available") == 1,
          "the AVX2 fallback was not logged");
    CHECK(find(SNN_LOG_INFO, "engine thread pool: started") == 1, "the thread pool's start was not logged");

    /* a deprecation: once per process, however often it happens */
    const char *old = "Tests/fuzz/onnx/relu_opset6.onnx";
    for (int i = 0; i < 3; i++) {
        snn_module *m = NULL;
        CHECK_OK(snn_onnx_load(&m, old));
        snn_module_free(m);
    }
    CHECK(find(SNN_LOG_WARNING, "deprecated: ") == 1 && find(SNN_LOG_WARNING, "opset 6") == 1,
          "the opset-6 deprecation was not logged exactly once");

    /* the threshold: debug messages are dropped at warning */
    CHECK_OK(snn_set_log_level(SNN_LOG_WARNING));
    int before = g_count;
    snn_tensor_add(&o, NULL, NULL);
    CHECK(g_count == before, "a debug message passed the warning threshold");

    /* re-entrancy: the callback's own failing call is dropped, not delivered recursively */
    CHECK_OK(snn_set_log_level(SNN_LOG_DEBUG));
    g_reenter = 1;
    before = g_count;
    snn_tensor_add(&o, NULL, NULL);
    CHECK(g_count == before + 1, "%d messages for one failure with a re-entrant callback", g_count - before);
    g_reenter = 0;

    /* many threads: every message delivered, never two callbacks at once */
    before = g_count;
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, fail_often, NULL);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    CHECK(g_count == before + 800, "%d of 800 messages from 4 threads", g_count - before);
    CHECK(atomic_load(&g_overlaps) == 0, "the callback ran on two threads at once %d time(s)", atomic_load(&g_overlaps));

    /* NULL removes the callback */
    CHECK_OK(snn_set_log_callback(NULL, NULL));
    before = g_count;
    snn_tensor_add(&o, NULL, NULL);
    CHECK(g_count == before, "a message after the callback was removed");
    return 0;
}

int main(void) {
    char out[] = "/tmp/snn-log-out-XXXXXX";
    int fd = mkstemp(out);
    CHECK(fd >= 0, "mkstemp");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* the AVX-512 choice is made once, at the first recurrent product: force the fallback */
        setenv("SWIFTNN_NO_AVX512", "1", 1);
        int err = dup(2);
        dup2(fd, 1);
        dup2(fd, 2);
        g_passed = g_failed = 0;
        body();
        fflush(NULL);
        /* the verdict goes to the real stderr; the redirected output must stay empty */
        dprintf(err, "test_log child: %d passed, %d failed\n", g_passed, g_failed);
        _exit(g_failed ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (status %d)", status);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "the library wrote %lld bytes to stdout/stderr", (long long)st.st_size);
    if (st.st_size > 0) {
        char buf[512] = {0};
        pread(fd, buf, sizeof buf - 1, 0);
        fprintf(stderr, "written: %s\n", buf);
    }
    close(fd);
    unlink(out);
    return report("test_log");
}
