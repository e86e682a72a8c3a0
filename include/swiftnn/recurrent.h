/*
 * swiftnn/recurrent.h -- recurrent networks (RNN, LSTM, GRU), their cells, and embeddings.
 * Included by swiftnn.h (after nn.h).
 *
 * Shapes use T (time steps), B (batch), I (input_size), H (hidden_size), L (num_layers),
 * D (directions: 2 if bidirectional, else 1), G (gates: 1 for RNN, 4 for LSTM, 3 for GRU).
 * Everything follows PyTorch:
 *   - a sequence is [T, B, I], or [B, T, I] with batch_first, or unbatched [T, I];
 *   - weights per layer l and direction (forward, then "_reverse"): weight_ih_l<l> [G*H, I_l]
 *     (I_0 = I, I_l = D*H after the first layer), weight_hh_l<l> [G*H, H], bias_ih_l<l> and
 *     bias_hh_l<l> [G*H];
 *   - gate order LSTM i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
 *     (ONNX orders them differently: LSTM i, o, f, c; GRU z, r, h.)
 *   - output [T, B, D*H] ([B, T, D*H] with batch_first; [T, D*H] unbatched), the two directions
 *     side by side in the last dimension; h_n and c_n [L*D, B, H] ([L*D, H] unbatched), layer
 *     by layer, forward direction first.
 *
 * Padded batches: pass lengths, an int64 [B] tensor with 1 <= lengths[b] <= T. Steps
 * t >= lengths[b] leave sequence b's state unchanged and give zero output rows; h_n and c_n
 * are the states after each sequence's last valid step (the reverse direction starts at
 * t = lengths[b] - 1). This is PyTorch's pack_padded_sequence(x, lengths, enforce_sorted=False)
 * followed by pad_packed_sequence(..., total_length=T): the output keeps all T steps.
 *
 * A whole sequence is one recorded autograd node per layer: backward is fused
 * backpropagation through time, giving gradients for the input, h0, c0 and every weight.
 * Truncated BPTT: run the sequence in chunks and pass snn_tensor_detach(h_n) (and c_n) as the
 * next chunk's h0 (c0), so that backward stops at the chunk boundary.
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL pointers, a bad struct_size, sizes < 1, dropout
 * outside [0, 1], an unknown nonlinearity or a wrong number of weights; SNN_ERR_SHAPE for
 * ranks and shapes that do not agree (the message names the tensor, e.g. "h0 must have shape
 * [2, 3, 4] ..."); SNN_ERR_DTYPE for a float lengths or int64 data; SNN_ERR_OUT_OF_RANGE for a
 * length outside [1, T] or an embedding index outside [0, num_embeddings).
 */

/* Nonlinearity of a plain RNN (snn_rnn_options.nonlinearity). */
typedef enum snn_rnn_nonlinearity {
    SNN_RNN_TANH = 0,
    SNN_RNN_RELU = 1
} snn_rnn_nonlinearity;

/* Options of snn_module_rnn/lstm/gru and of the functional snn_tensor_rnn/lstm/gru.
 * Fill it with snn_rnn_options_init (which sets struct_size and PyTorch's defaults), then
 * change what you need. struct_size must be sizeof(snn_rnn_options); fields may only be
 * appended in later versions. */
typedef struct snn_rnn_options {
    size_t struct_size;    /* sizeof(snn_rnn_options), set by snn_rnn_options_init */
    int64_t input_size;    /* I >= 1 (modules; the functional ops check the weights against it) */
    int64_t hidden_size;   /* H >= 1 (idem) */
    int64_t num_layers;    /* L >= 1, default 1 */
    bool bias;             /* default true: b_ih and b_hh exist */
    bool batch_first;      /* default false: [T, B, *]; true: [B, T, *] */
    bool bidirectional;    /* default false */
    bool training;         /* functional ops only: apply dropout (modules use their train mode) */
    float dropout;         /* in [0, 1], default 0: dropout on every layer's output but the last */
    int32_t nonlinearity;  /* snn_rnn_nonlinearity, default SNN_RNN_TANH; used by RNN only (must be valid) */
} snn_rnn_options;

/* Sets opts->struct_size and the defaults (input_size and hidden_size 0: set them). */
snn_status snn_rnn_options_init(snn_rnn_options *opts);

/* ---- modules ------------------------------------------------------------------------------
 * Parameters are named as in PyTorch's state_dict (weight_ih_l0, weight_hh_l0, bias_ih_l0,
 * bias_hh_l0, weight_ih_l0_reverse, ..., in that order) and initialised from the global
 * generator (snn_manual_seed) with U(-1/sqrt(H), 1/sqrt(H)), so a state dict saved by
 * torch.nn.LSTM loads with snn_module_load_weights and the other way round. Checkpoints
 * (snn_module_save/load) rebuild these modules from their metadata.
 *
 * Forward with snn_module_forward_multi. Inputs, in this order:
 *     x [, h0 [, c0 (LSTM only)]] [, lengths]
 * Absent optional inputs may be NULL entries of the inputs array (zeros for h0/c0, no padding
 * for lengths); trailing ones may also be left out. An int64 tensor in the last place is always
 * lengths, so {x, lengths} (n_inputs = 2) works too. Outputs: output, h_n (RNN, GRU) or
 * output, h_n, c_n (LSTM). snn_module_forward (one input, one output) returns output alone.
 * Example (LSTM, padded batch, zero initial state):
 *     const snn_tensor *in[4] = {x, NULL, NULL, lengths};
 *     snn_tensor *out[3]; size_t n = 0;
 *     snn_module_forward_multi(out, 3, &n, lstm, in, 4);   // out: output, h_n, c_n
 */
snn_status snn_module_rnn(snn_module **out, const snn_rnn_options *opts);
snn_status snn_module_lstm(snn_module **out, const snn_rnn_options *opts);
snn_status snn_module_gru(snn_module **out, const snn_rnn_options *opts);

/* Single-step cells with parameters weight_ih [G*H, I], weight_hh [G*H, H], bias_ih, bias_hh
 * [G*H] (only if bias). Forward (snn_module_forward_multi): x [B, I] or [I], then optionally
 * h [B, H] (or [H]) and, for LSTMCell, c; NULL entries are zeros. Outputs: h' (RNNCell,
 * GRUCell) or h', c' (LSTMCell). snn_module_forward returns h'. */
snn_status snn_module_rnn_cell(snn_module **out, int64_t input_size, int64_t hidden_size, bool bias,
                               snn_rnn_nonlinearity nonlinearity);
snn_status snn_module_lstm_cell(snn_module **out, int64_t input_size, int64_t hidden_size, bool bias);
snn_status snn_module_gru_cell(snn_module **out, int64_t input_size, int64_t hidden_size, bool bias);

/* Embedding table `weight` [num, dim], initialised N(0, 1) from the global generator.
 * padding_idx: a row in [0, num) whose vector starts at zero and never receives a gradient,
 * or -1 for none. Forward (snn_module_forward): int64 indices of any shape -> [..., dim]. */
snn_status snn_module_embedding(snn_module **out, int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx);

/* ---- functional forms: weights are ordinary tensors (and get gradients) ------------------ */

/* A multi-layer network over a sequence, as torch._VF.lstm. `weights` lists, per layer and
 * direction, w_ih, w_hh and (if opts->bias) b_ih, b_hh: n_weights = L * D * (bias ? 4 : 2),
 * checked against opts->input_size and opts->hidden_size. h0, c0 [L*D, B, H] and lengths
 * int64 [B] may be NULL (zeros; no padding). Dropout applies only if opts->training.
 * Writes new handles to *out_output and *out_h_n (and *out_c_n). Only snn_tensor_rnn uses
 * opts->nonlinearity. */
snn_status snn_tensor_rnn(snn_tensor **out_output, snn_tensor **out_h_n, const snn_tensor *input, const snn_tensor *h0,
                          const snn_tensor *const *weights, size_t n_weights, const snn_tensor *lengths,
                          const snn_rnn_options *opts);
snn_status snn_tensor_lstm(snn_tensor **out_output, snn_tensor **out_h_n, snn_tensor **out_c_n, const snn_tensor *input,
                           const snn_tensor *h0, const snn_tensor *c0, const snn_tensor *const *weights, size_t n_weights,
                           const snn_tensor *lengths, const snn_rnn_options *opts);
snn_status snn_tensor_gru(snn_tensor **out_output, snn_tensor **out_h_n, const snn_tensor *input, const snn_tensor *h0,
                          const snn_tensor *const *weights, size_t n_weights, const snn_tensor *lengths,
                          const snn_rnn_options *opts);

/* One cell step, as torch's rnn_tanh_cell / lstm_cell / gru_cell: input [B, I] or [I];
 * h, c [B, H] or [H] (NULL: zeros); w_ih [G*H, I], w_hh [G*H, H]; b_ih, b_hh [G*H] or NULL. */
snn_status snn_tensor_rnn_cell(snn_tensor **out_h, const snn_tensor *input, const snn_tensor *h, const snn_tensor *w_ih,
                               const snn_tensor *w_hh, const snn_tensor *b_ih, const snn_tensor *b_hh,
                               snn_rnn_nonlinearity nonlinearity);
snn_status snn_tensor_lstm_cell(snn_tensor **out_h, snn_tensor **out_c, const snn_tensor *input, const snn_tensor *h,
                                const snn_tensor *c, const snn_tensor *w_ih, const snn_tensor *w_hh,
                                const snn_tensor *b_ih, const snn_tensor *b_hh);
snn_status snn_tensor_gru_cell(snn_tensor **out_h, const snn_tensor *input, const snn_tensor *h, const snn_tensor *w_ih,
                               const snn_tensor *w_hh, const snn_tensor *b_ih, const snn_tensor *b_hh);

/* out[..., :] = weight[indices[...], :]: indices int64 (any shape, each in [0, V)), weight
 * [V, D] float32, out [..., D]. The backward pass adds the output gradient into the rows the
 * indices name (repeated indices accumulate); row padding_idx (in [0, V), or -1 for none)
 * receives no gradient. An index outside [0, V) is SNN_ERR_OUT_OF_RANGE naming it and V. */
snn_status snn_tensor_embedding(snn_tensor **out, const snn_tensor *indices, const snn_tensor *weight, int64_t padding_idx);
