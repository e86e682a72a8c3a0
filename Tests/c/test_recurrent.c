/* The recurrent C API (swiftnn/recurrent.h) as a C program uses it (modules, NULL entries,
 * lengths, backward, truncated BPTT, checkpoints, embedding), and bad arguments of every kind
 * failing with the documented status and message, never crashing. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)
#define EXPECT_ERROR_MENTIONS(text) CHECK(strstr(snn_last_error(), text) != NULL, "message '%s' lacks '%s'", snn_last_error(), text)

static snn_tensor *filled(const int64_t *shape, size_t nd, float scale) {
    int64_t n = 1;
    for (size_t i = 0; i < nd; i++) n *= shape[i];
    float *v = malloc((size_t)n * sizeof(float) + 4);
    for (int64_t i = 0; i < n; i++) v[i] = scale * (float)((i * 37 + 11) % 19 - 9) / 9.0f;
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, (size_t)n, shape, nd));
    free(v);
    return t;
}

static snn_tensor *int64s(const int64_t *v, int64_t n) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_int64(&t, v, (size_t)n, &n, 1));
    return t;
}

static int same_values(snn_tensor *a, snn_tensor *b) {
    int64_t na = 0, nb = 0;
    snn_tensor_numel(&na, a);
    snn_tensor_numel(&nb, b);
    if (na != nb) return 0;
    float *x = malloc((size_t)na * 4 + 4), *y = malloc((size_t)nb * 4 + 4);
    snn_tensor_copy_data(x, (size_t)na, a);
    snn_tensor_copy_data(y, (size_t)nb, b);
    int same = memcmp(x, y, (size_t)na * 4) == 0;
    free(x);
    free(y);
    return same;
}

static void free_all(snn_tensor **ts, size_t n) {
    for (size_t i = 0; i < n; i++) { snn_tensor_free(ts[i]); ts[i] = NULL; }
}

static void test_options(void) {
    snn_rnn_options o;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_rnn_options_init(NULL));
    CHECK_OK(snn_rnn_options_init(&o));
    CHECK(o.struct_size == sizeof o && o.num_layers == 1 && o.bias && !o.batch_first && o.dropout == 0.0f,
          "snn_rnn_options_init defaults");
    snn_module *m = (snn_module *)0x1;
    o.input_size = 3;
    o.hidden_size = 4;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_lstm(&m, NULL));
    CHECK(m == NULL, "out handle cleared on failure");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_lstm(NULL, &o));
    snn_rnn_options bad = o;
    bad.struct_size = 8;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_lstm(&m, &bad));
    EXPECT_ERROR_MENTIONS("struct_size");
    bad = o;
    bad.input_size = -3;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_gru(&m, &bad));
    bad = o;
    bad.num_layers = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_rnn(&m, &bad));
    bad = o;
    bad.dropout = 1.5f;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_lstm(&m, &bad));
    bad = o;
    bad.nonlinearity = 7;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_rnn(&m, &bad));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_lstm_cell(&m, 3, -4, true));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_rnn_cell(&m, 3, 4, true, (snn_rnn_nonlinearity)5));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_embedding(&m, 0, 4, -1));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_module_embedding(&m, 10, 4, 10));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_module_embedding(&m, 10, 4, -2));
}

/* LSTM(3 -> 4, 2 layers, bidirectional, batch_first) on a padded batch of 2 sequences. */
static void test_lstm_module(void) {
    snn_rnn_options o;
    snn_rnn_options_init(&o);
    o.input_size = 3;
    o.hidden_size = 4;
    o.num_layers = 2;
    o.bidirectional = true;
    o.batch_first = true;
    snn_module *m = NULL;
    CHECK_OK(snn_manual_seed(5));
    CHECK_OK(snn_module_lstm(&m, &o));
    char type[32];
    CHECK_OK(snn_module_type(type, sizeof type, NULL, m));
    CHECK(strcmp(type, "LSTM") == 0, "type %s", type);
    int64_t count = 0;
    CHECK_OK(snn_module_parameter_count(&count, m, false));
    /* per direction: 16*in + 16*4 + 2*16, in = 3 (layer 0) or 8 (layer 1) */
    CHECK(count == 2 * (16 * 3 + 64 + 32) + 2 * (16 * 8 + 64 + 32), "parameter count %lld", (long long)count);

    int64_t xs[3] = {2, 5, 3}, hs[3] = {4, 2, 4}, len[2] = {5, 3};
    snn_tensor *x = filled(xs, 3, 1.0f), *h0 = filled(hs, 3, 0.5f), *lengths = int64s(len, 2);
    snn_tensor *outs[3] = {0}, *outs2[3] = {0};
    size_t n = 0;
    const snn_tensor *with_nulls[4] = {x, NULL, NULL, lengths};
    CHECK_OK(snn_module_forward_multi(outs, 3, &n, m, with_nulls, 4));
    CHECK(n == 3, "LSTM gives output, h_n, c_n (got %zu)", n);
    int64_t shape[3] = {0};
    CHECK_OK(snn_tensor_shape(shape, 3, outs[0]));
    CHECK(shape[0] == 2 && shape[1] == 5 && shape[2] == 8, "output shape [2, 5, 8]");
    CHECK_OK(snn_tensor_shape(shape, 3, outs[1]));
    CHECK(shape[0] == 4 && shape[1] == 2 && shape[2] == 4, "h_n shape [4, 2, 4]");
    {   /* the padded steps of sequence 1 (t = 3, 4) are zero */
        float out[80];
        CHECK_OK(snn_tensor_copy_data(out, 80, outs[0]));
        int zeros = 1;
        for (int i = (5 + 3) * 8; i < 80; i++) zeros &= out[i] == 0.0f;
        CHECK(zeros, "padded steps output zeros");
    }
    const snn_tensor *short_form[2] = {x, lengths};  /* a trailing int64 tensor is lengths */
    CHECK_OK(snn_module_forward_multi(outs2, 3, &n, m, short_form, 2));
    CHECK(same_values(outs[0], outs2[0]) && same_values(outs[1], outs2[1]), "{x, lengths} == {x, NULL, NULL, lengths}");
    free_all(outs2, 3);

    /* capacity too small: nothing written, count reported */
    n = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_forward_multi(outs2, 2, &n, m, with_nulls, 4));
    CHECK(n == 3 && outs2[0] == NULL, "capacity 2 < 3 outputs: count 3, nothing written");
    /* one output through snn_module_forward */
    snn_tensor *only = NULL;
    CHECK_OK(snn_module_forward(&only, m, x));
    CHECK_OK(snn_tensor_shape(shape, 3, only));
    CHECK(shape[2] == 8, "snn_module_forward returns the output sequence");
    snn_tensor_free(only);

    /* backward reaches every parameter */
    snn_tensor *loss = NULL;
    CHECK_OK(snn_tensor_sum(&loss, outs[0], NULL, 0, false));
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    snn_tensor_free(loss);
    snn_tensor *params[16] = {0};
    CHECK_OK(snn_module_parameters(params, 16, &n, m));
    int all_grads = n == 16;
    for (size_t i = 0; i < n; i++) {
        snn_tensor *g = NULL;
        all_grads &= snn_tensor_grad(&g, params[i]) == SNN_OK && g != NULL;
        snn_tensor_free(g);
    }
    CHECK(all_grads, "every parameter has a gradient");
    free_all(params, n);

    /* truncated BPTT: detached states start the next chunk */
    snn_tensor *hd = NULL, *cd = NULL;
    CHECK_OK(snn_tensor_detach(&hd, outs[1]));
    CHECK_OK(snn_tensor_detach(&cd, outs[2]));
    const snn_tensor *chunk2[3] = {x, hd, cd};
    CHECK_OK(snn_module_forward_multi(outs2, 3, &n, m, chunk2, 3));
    bool rg = false;
    CHECK_OK(snn_tensor_requires_grad(&rg, hd));
    CHECK(!rg, "a detached state does not require grad");
    free_all(outs2, 3);
    snn_tensor_free(hd);
    snn_tensor_free(cd);

    /* bad inputs */
    int64_t wrong[3] = {4, 3, 4}, bad_len[2] = {6, 1}, zero_len[2] = {0, 1};
    snn_tensor *h_wrong = filled(wrong, 3, 1.0f), *len6 = int64s(bad_len, 2), *len0 = int64s(zero_len, 2);
    const snn_tensor *a1[2] = {x, h_wrong};
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_module_forward_multi(outs2, 3, &n, m, a1, 2));
    EXPECT_ERROR_MENTIONS("h0 must have shape [4, 2, 4]");
    const snn_tensor *a2[2] = {x, len6};
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_module_forward_multi(outs2, 3, &n, m, a2, 2));
    EXPECT_ERROR_MENTIONS("lengths[0] = 6");
    const snn_tensor *a3[2] = {x, len0};
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_module_forward_multi(outs2, 3, &n, m, a3, 2));
    const snn_tensor *a4[4] = {x, h0, h0, h0};  /* a float tensor where lengths go */
    EXPECT_STATUS(SNN_ERR_DTYPE, snn_module_forward_multi(outs2, 3, &n, m, a4, 4));
    const snn_tensor *a5[2] = {NULL, h0};
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_forward_multi(outs2, 3, &n, m, a5, 2));
    const snn_tensor *a6[1] = {lengths};  /* int64 data */
    EXPECT_STATUS(SNN_ERR_DTYPE, snn_module_forward_multi(outs2, 3, &n, m, a6, 1));
    int64_t xs2[3] = {2, 5, 7};
    snn_tensor *x7 = filled(xs2, 3, 1.0f);
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_module_forward(&only, m, x7));
    EXPECT_ERROR_MENTIONS("input.size(-1) must be equal to input_size. Expected 3, got 7 (input of shape [2, 5, 7])");  /* issue 20: not weight_ih_l0 */
    const snn_tensor *a7[2] = {x, (const snn_tensor *)(uintptr_t)0xdeadbeef};
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_module_forward_multi(outs2, 3, &n, m, a7, 2));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_module_forward_multi(outs2, 3, &n, m, NULL, 2));
    snn_tensor_free(x7);
    snn_tensor_free(h_wrong);
    snn_tensor_free(len6);
    snn_tensor_free(len0);

    /* checkpoint: rebuilt from its metadata, same outputs */
    char path[64];
    snprintf(path, sizeof path, "/tmp/snn-test-lstm-%d.safetensors", (int)getpid());
    CHECK_OK(snn_module_train(m, false));
    CHECK_OK(snn_module_save(m, path));
    snn_module *back = NULL;
    CHECK_OK(snn_module_load(&back, path));
    unlink(path);
    CHECK_OK(snn_module_forward_multi(outs2, 3, &n, back, with_nulls, 4));
    CHECK(n == 3 && same_values(outs[0], outs2[0]) && same_values(outs[2], outs2[2]), "checkpoint round trip");
    free_all(outs2, 3);
    snn_module_free(back);

    free_all(outs, 3);
    snn_tensor_free(x);
    snn_tensor_free(h0);
    snn_tensor_free(lengths);
    snn_module_free(m);
    /* a freed module handle */
    const snn_tensor *none[1] = {NULL};
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_module_forward_multi(outs2, 3, &n, m, none, 1));
}

static void test_functional_and_cells(void) {
    int64_t xs[3] = {4, 2, 3}, wih[2] = {12, 3}, whh[2] = {12, 4}, b[1] = {12};
    snn_tensor *x = filled(xs, 3, 1.0f);
    snn_tensor *w[4] = {filled(wih, 2, 0.4f), filled(whh, 2, 0.4f), filled(b, 1, 0.1f), filled(b, 1, 0.2f)};
    snn_rnn_options o;
    snn_rnn_options_init(&o);
    o.input_size = 3;
    o.hidden_size = 4;
    snn_tensor *out = NULL, *hn = NULL;
    CHECK_OK(snn_tensor_gru(&out, &hn, x, NULL, (const snn_tensor *const *)w, 4, NULL, &o));
    snn_tensor_free(out);
    snn_tensor_free(hn);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_gru(&out, &hn, x, NULL, (const snn_tensor *const *)w, 3, NULL, &o));
    EXPECT_ERROR_MENTIONS("expected 4 weight tensors");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_gru(NULL, &hn, x, NULL, (const snn_tensor *const *)w, 4, NULL, &o));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_gru(&out, &hn, x, NULL, NULL, 4, NULL, &o));
    o.input_size = 5;
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_tensor_gru(&out, &hn, x, NULL, (const snn_tensor *const *)w, 4, NULL, &o));
    EXPECT_ERROR_MENTIONS("opts->input_size is 5");
    o.input_size = 3;
    /* a GRU's weights are not an LSTM's: 4 gates needed */
    snn_tensor *cn = NULL;
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_tensor_lstm(&out, &hn, &cn, x, NULL, NULL, (const snn_tensor *const *)w, 4, NULL, &o));

    /* cells: GRUCell step with a NULL (zero) state equals the same step with explicit zeros */
    int64_t cs[2] = {2, 3}, hs[2] = {2, 4};
    snn_tensor *xc = filled(cs, 2, 1.0f), *zero = NULL, *h1 = NULL, *h2 = NULL;
    CHECK_OK(snn_tensor_zeros(&zero, hs, 2));
    CHECK_OK(snn_tensor_gru_cell(&h1, xc, NULL, w[0], w[1], w[2], w[3]));
    CHECK_OK(snn_tensor_gru_cell(&h2, xc, zero, w[0], w[1], w[2], w[3]));
    CHECK(h1 && h2 && same_values(h1, h2), "NULL state is zeros");
    snn_tensor_free(h1);
    snn_tensor_free(h2);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_rnn_cell(&h1, xc, NULL, w[0], w[1], NULL, NULL, (snn_rnn_nonlinearity)9));
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_tensor_rnn_cell(&h1, xc, NULL, w[0], w[1], NULL, NULL, SNN_RNN_RELU));  /* 12 rows: not 1*H */
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_lstm_cell(&h1, NULL, xc, NULL, NULL, w[0], w[1], NULL, NULL));

    snn_module *cell = NULL;
    CHECK_OK(snn_module_lstm_cell(&cell, 3, 4, true));
    snn_tensor *co[2] = {0};
    size_t n = 0;
    const snn_tensor *ci[3] = {xc, NULL, zero};
    CHECK_OK(snn_module_forward_multi(co, 2, &n, cell, ci, 3));
    CHECK(n == 2, "LSTMCell gives h', c'");
    free_all(co, 2);
    snn_module_free(cell);

    snn_tensor_free(zero);
    snn_tensor_free(xc);
    free_all(w, 4);
    snn_tensor_free(x);
}

static void test_embedding(void) {
    snn_module *e = NULL;
    CHECK_OK(snn_module_embedding(&e, 10, 4, 2));
    int64_t iv[4] = {1, 2, 9, 2};
    snn_tensor *idx = int64s(iv, 4), *out = NULL;
    CHECK_OK(snn_module_forward(&out, e, idx));
    float v[16];
    CHECK_OK(snn_tensor_copy_data(v, 16, out));
    CHECK(v[4] == 0 && v[5] == 0 && v[6] == 0 && v[7] == 0, "the padding row starts at zero");
    snn_tensor_free(out);
    int64_t bad[2] = {3, 9 + 1};
    snn_tensor *oob = int64s(bad, 2);
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_module_forward(&out, e, oob));
    EXPECT_ERROR_MENTIONS("index 10");
    EXPECT_ERROR_MENTIONS("10 embeddings");
    int64_t fs[1] = {2};
    snn_tensor *fidx = filled(fs, 1, 1.0f);
    EXPECT_STATUS(SNN_ERR_DTYPE, snn_module_forward(&out, e, fidx));
    snn_tensor *weight = NULL;
    CHECK_OK(snn_tensor_randn(&weight, (int64_t[]){10, 4}, 2));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_tensor_embedding(&out, idx, weight, -3));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_tensor_embedding(&out, idx, weight, 10));
    CHECK_OK(snn_tensor_embedding(&out, idx, weight, -1));
    snn_tensor_free(out);
    snn_tensor_free(weight);
    snn_tensor_free(fidx);
    snn_tensor_free(oob);
    snn_tensor_free(idx);
    snn_module_free(e);
}

int main(void) {
    test_options();
    test_lstm_module();
    test_functional_and_cells();
    test_embedding();
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_recurrent");
}
