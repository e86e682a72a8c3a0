/* The char-RNN C API (swiftnn/charrnn.h): bad inputs fail with the documented status and never
 * crash; sampling is deterministic for a fixed seed; a checkpoint round trip samples the same
 * text; training lowers the loss on a small synthetic text. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)
#define EXPECT_ERROR_MENTIONS(text) CHECK(strstr(snn_last_error(), text) != NULL, "message '%s' lacks '%s'", snn_last_error(), text)

/* "abcab cabca ..." with a period: easy to learn. */
static char *synthetic(size_t n) {
    char *t = malloc(n + 1);
    const char *pat = "the cat sat on the mat. ";
    for (size_t i = 0; i < n; i++) t[i] = pat[i % strlen(pat)];
    t[n] = 0;
    return t;
}

static void test_bad_inputs(void) {
    snn_module *m = NULL;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(NULL, "ab", 2, 4, 8, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, NULL, 2, 4, 8, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "ab", 0, 4, 8, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "ab", 300, 4, 8, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "aa", 2, 4, 8, 1));
    EXPECT_ERROR_MENTIONS("twice");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "ab", 2, -4, 8, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "ab", 2, 4, 0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_new(&m, "ab", 2, 4, 8, 1000));
    CHECK_OK(snn_charrnn_new(&m, "abc", 3, 4, 8, 2));

    char buf[64];
    size_t len;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_vocab(buf, 2, &len, m));
    CHECK(len == 3, "vocab length %zu", len);
    CHECK_OK(snn_charrnn_vocab(buf, sizeof buf, &len, m));
    CHECK(len == 3 && memcmp(buf, "abc", 3) == 0, "vocab");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_vocab_of(buf, sizeof buf, &len, NULL, 5));
    CHECK_OK(snn_charrnn_vocab_of(buf, sizeof buf, &len, "banana", 6));
    CHECK(len == 3 && memcmp(buf, "abn", 3) == 0, "vocab_of banana");

    /* sampling */
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, sizeof buf, &len, m, "a", 10, 0.0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, sizeof buf, &len, m, "a", 10, -1.0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, sizeof buf, &len, m, "a", -1, 1.0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, 5, &len, m, "a", 10, 1.0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(NULL, 64, &len, m, "a", 10, 1.0, 1));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_charrnn_sample(buf, sizeof buf, &len, m, "axe", 10, 1.0, 1));
    EXPECT_ERROR_MENTIONS("offset 1");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, sizeof buf, &len, NULL, "a", 10, 1.0, 1));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_charrnn_sample(buf, sizeof buf, &len, (snn_module *)(uintptr_t)0x1234, "a", 10, 1.0, 1));
    CHECK_OK(snn_charrnn_sample(buf, sizeof buf, &len, m, NULL, 10, 1.0, 1));
    CHECK(len == 10 && strlen(buf) == 10, "sample without prime: %zu", len);
    CHECK_OK(snn_charrnn_sample(buf, sizeof buf, &len, m, "", 0, 1.0, 1));
    CHECK(len == 0 && buf[0] == 0, "empty sample");

    /* a module that is not a CharRNN */
    snn_module *lin;
    CHECK_OK(snn_module_linear(&lin, 2, 2, true));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_sample(buf, sizeof buf, &len, lin, "a", 10, 1.0, 1));
    EXPECT_ERROR_MENTIONS("CharRNN");
    snn_module_free(lin);

    /* training and evaluation */
    snn_charrnn_fit_options o;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit_options_init(NULL));
    CHECK_OK(snn_charrnn_fit_options_init(&o));
    const char *text = "abcabcabcabcabcabcabc";
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, NULL, 10, &o));
    o.batch_size = 2; o.seq_len = 4; o.max_steps = 1;
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_charrnn_fit(m, "abcdabcd", 8, &o));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, text, 3, &o));  /* too short */
    o.seq_len = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, text, strlen(text), &o));
    o.seq_len = 4; o.lr = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, text, strlen(text), &o));
    o.lr = 1e-2; o.struct_size = 8;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, text, strlen(text), &o));
    o.struct_size = sizeof o; o.loss_history_capacity = 4;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_fit(m, text, strlen(text), &o));
    o.loss_history_capacity = 0;
    CHECK_OK(snn_charrnn_fit(m, text, strlen(text), &o));
    char longer[100];
    for (int i = 0; i < 99; i++) longer[i] = "abc"[i % 3];
    CHECK_OK(snn_charrnn_fit(m, longer, 99, NULL));  /* defaults: batch 32 needs >= 64 bytes */
    double bpc = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_evaluate(NULL, m, text, strlen(text), 4, 2));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_evaluate(&bpc, m, text, strlen(text), 0, 2));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_charrnn_evaluate(&bpc, m, text, 1, 4, 2));
    CHECK_OK(snn_charrnn_evaluate(&bpc, m, text, strlen(text), 4, 2));
    CHECK(bpc > 0 && bpc < 10, "bpc %f", bpc);
    snn_module_free(m);
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_charrnn_evaluate(&bpc, m, text, strlen(text), 4, 2));
}

static void test_learn_and_round_trip(void) {
    CHECK_OK(snn_manual_seed(3));
    size_t n = 6000;
    char *text = synthetic(n);
    char vocab[256];
    size_t vlen;
    CHECK_OK(snn_charrnn_vocab_of(vocab, sizeof vocab, &vlen, text, n));
    snn_module *m;
    CHECK_OK(snn_charrnn_new(&m, vocab, vlen, 8, 32, 2));
    double before = 0, after = 0;
    CHECK_OK(snn_charrnn_evaluate(&before, m, text, n, 50, 4));
    snn_charrnn_fit_options o;
    CHECK_OK(snn_charrnn_fit_options_init(&o));
    double hist[200];
    size_t nh = 0;
    o.seq_len = 25; o.batch_size = 8; o.max_steps = 120; o.epochs = 100; o.lr = 1e-2;
    o.loss_history = hist; o.loss_history_capacity = 200; o.loss_history_count = &nh;
    CHECK_OK(snn_charrnn_fit(m, text, n, &o));
    CHECK(nh == 120, "ran %zu steps", nh);
    CHECK_OK(snn_charrnn_evaluate(&after, m, text, n, 50, 4));
    CHECK(after < 0.5 * before && after < 1.0, "bpc %f -> %f: training did not learn the pattern", before, after);

    char a[128], b[128], c[128], d[128];
    size_t la, lb;
    CHECK_OK(snn_charrnn_sample(a, sizeof a, &la, m, "the ", 100, 0.5, 7));
    CHECK_OK(snn_charrnn_sample(b, sizeof b, &lb, m, "the ", 100, 0.5, 7));
    CHECK(la == 104 && strcmp(a, b) == 0, "same seed gives different samples:\n%s\n%s", a, b);
    CHECK_OK(snn_charrnn_sample(c, sizeof c, NULL, m, "the ", 100, 1.5, 8));
    CHECK(strcmp(a, c) != 0, "different seeds and temperatures gave the same sample");
    CHECK(strstr(a, "cat") || strstr(a, "mat") || strstr(a, "sat"), "sample does not look learned: %s", a);

    char path[] = "/tmp/snn_charrnn_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_OK(snn_module_save(m, path));
    snn_module *again;
    CHECK_OK(snn_module_load(&again, path));
    CHECK_OK(snn_charrnn_sample(d, sizeof d, NULL, again, "the ", 100, 0.5, 7));
    CHECK(strcmp(a, d) == 0, "reloaded checkpoint samples differently:\n%s\n%s", a, d);
    double reloaded = 0;
    CHECK_OK(snn_charrnn_evaluate(&reloaded, again, text, n, 50, 4));
    CHECK(reloaded == after, "bpc %f after reload, %f before", reloaded, after);
    char vb[256];
    size_t vl;
    CHECK_OK(snn_charrnn_vocab(vb, sizeof vb, &vl, again));
    CHECK(vl == vlen && memcmp(vb, vocab, vl) == 0, "vocabulary lost in the checkpoint");
    unlink(path);
    snn_module_free(again);
    snn_module_free(m);
    free(text);
}

int main(void) {
    test_bad_inputs();
    test_learn_and_round_trip();
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_charrnn");
}
