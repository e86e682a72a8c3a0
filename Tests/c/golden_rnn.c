/* How each golden op of the "rnn" area is called through the C API: snn_tensor_rnn/lstm/gru
 * (inputs x, [h0], [c0], flat weights, [lengths]), the cell functions and snn_tensor_embedding. */
#include "harness.h"
#include <string.h>

enum { MODE_RNN, MODE_LSTM, MODE_GRU };

/* Last dimension of t (0 on failure). */
static int64_t last_dim(const snn_tensor *t) {
    int64_t shape[SNN_MAX_NDIM];
    size_t nd = 0;
    if (snn_tensor_ndim(&nd, t) != SNN_OK || nd == 0 || snn_tensor_shape(shape, SNN_MAX_NDIM, t) != SNN_OK) return 0;
    return shape[nd - 1];
}

static snn_status sequence(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a, int mode) {
    int hx = attr_int(a, "hx", 0) != 0, has_lengths = attr_int(a, "lengths", 0) != 0;
    size_t i = 1;
    const snn_tensor *h0 = hx ? x[i++] : NULL;
    const snn_tensor *c0 = hx && mode == MODE_LSTM ? x[i++] : NULL;
    const snn_tensor *lengths = has_lengths ? x[nin - 1] : NULL;
    size_t n_weights = nin - i - (has_lengths ? 1 : 0);
    snn_rnn_options opts;
    snn_status st = snn_rnn_options_init(&opts);
    if (st != SNN_OK) return st;
    opts.input_size = last_dim(x[0]);
    opts.hidden_size = last_dim(x[i + 1]); /* w_hh [G*H, H] */
    opts.num_layers = attr_int(a, "layers", 1);
    opts.bias = attr_int(a, "bias", 1) != 0;
    opts.batch_first = attr_int(a, "batch_first", 0) != 0;
    opts.bidirectional = attr_int(a, "bidirectional", 0) != 0;
    opts.nonlinearity = strcmp(attr_str(a, "nonlinearity", "tanh"), "relu") == 0 ? SNN_RNN_RELU : SNN_RNN_TANH;
    const snn_tensor *const *w = (const snn_tensor *const *)(x + i);
    switch (mode) {
    case MODE_LSTM:
        *n = 3;
        return snn_tensor_lstm(&o[0], &o[1], &o[2], x[0], h0, c0, w, n_weights, lengths, &opts);
    case MODE_GRU:
        *n = 2;
        return snn_tensor_gru(&o[0], &o[1], x[0], h0, w, n_weights, lengths, &opts);
    default:
        *n = 2;
        return snn_tensor_rnn(&o[0], &o[1], x[0], h0, w, n_weights, lengths, &opts);
    }
}

static snn_status g_rnn(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    return sequence(o, n, x, nin, a, MODE_RNN);
}
static snn_status g_lstm(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    return sequence(o, n, x, nin, a, MODE_LSTM);
}
static snn_status g_gru(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    return sequence(o, n, x, nin, a, MODE_GRU);
}

static snn_status cell(snn_tensor **o, size_t *n, snn_tensor *const *x, const gt_attrs *a, int mode) {
    int hx = attr_int(a, "hx", 0) != 0, bias = attr_int(a, "bias", 1) != 0;
    size_t i = 1;
    const snn_tensor *h = hx ? x[i++] : NULL;
    const snn_tensor *c = hx && mode == MODE_LSTM ? x[i++] : NULL;
    const snn_tensor *w_ih = x[i], *w_hh = x[i + 1];
    const snn_tensor *b_ih = bias ? x[i + 2] : NULL, *b_hh = bias ? x[i + 3] : NULL;
    switch (mode) {
    case MODE_LSTM:
        *n = 2;
        return snn_tensor_lstm_cell(&o[0], &o[1], x[0], h, c, w_ih, w_hh, b_ih, b_hh);
    case MODE_GRU:
        *n = 1;
        return snn_tensor_gru_cell(&o[0], x[0], h, w_ih, w_hh, b_ih, b_hh);
    default:
        *n = 1;
        return snn_tensor_rnn_cell(&o[0], x[0], h, w_ih, w_hh, b_ih, b_hh,
                                   strcmp(attr_str(a, "nonlinearity", "tanh"), "relu") == 0 ? SNN_RNN_RELU : SNN_RNN_TANH);
    }
}

static snn_status g_rnn_cell(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    return cell(o, n, x, a, MODE_RNN);
}
static snn_status g_lstm_cell(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    return cell(o, n, x, a, MODE_LSTM);
}
static snn_status g_gru_cell(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    return cell(o, n, x, a, MODE_GRU);
}

static snn_status g_embedding(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    (void)a;
    *n = 1;
    return snn_tensor_embedding(&o[0], x[0], x[1], -1);
}

/* The C API's padding_idx is a row index or -1 for none; PyTorch's negative padding_idx
 * counts from the end, so the test converts it. */
static snn_status g_embedding_padded(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    int64_t shape[2] = {0, 0};
    snn_status st = snn_tensor_shape(shape, 2, x[1]);
    if (st != SNN_OK) return st;
    int64_t pad = attr_int(a, "padding_idx", -1);
    *n = 1;
    return snn_tensor_embedding(&o[0], x[0], x[1], pad < 0 ? pad + shape[0] : pad);
}

__attribute__((constructor)) static void register_rnn(void) {
    golden_register("rnn", g_rnn);
    golden_register("lstm", g_lstm);
    golden_register("gru", g_gru);
    golden_register("rnn_cell", g_rnn_cell);
    golden_register("lstm_cell", g_lstm_cell);
    golden_register("gru_cell", g_gru_cell);
    golden_register("embedding", g_embedding);
    golden_register("embedding_padded", g_embedding_padded);
}
