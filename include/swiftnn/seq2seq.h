/*
 * swiftnn/seq2seq.h -- sequence to sequence: an LSTM or GRU encoder-decoder over token ids.
 * Included by swiftnn.h.
 *
 * The model is an snn_module (type "Seq2Seq"), so snn_module_save / snn_module_load,
 * state dicts (PyTorch names: src_embed.weight, encoder.weight_ih_l0, tgt_embed.weight,
 * decoder.weight_ih_l0, attn.weight, attn_combine.weight, out.weight, ...), parameters for
 * an optimizer and snn_module_free all apply. The architecture stored in a checkpoint holds
 * the configuration (cell included; checkpoints written before the cell was a choice load as
 * LSTM) and the token strings set with snn_seq2seq_set_tokens.
 *
 * Token batches are int64 tensors [batch, length]: each row is its token ids followed by the
 * padding id (pad only at the end). Source rows must not be empty. Target rows hold the
 * output tokens alone: the model feeds [BOS, y...] to the decoder (teacher forcing) and
 * predicts [y..., EOS]; padded positions are masked out of the loss (ignore_index = pad).
 * Decoders never emit the padding or BOS ids.
 *
 * Encoder: Embedding(src_vocab, embed_dim, padding_idx=pad) + LSTM(embed_dim, hidden_size,
 * num_layers, batch_first, bidirectional) over each row's true length. Decoder:
 * Embedding(tgt_vocab, embed_dim) + LSTM(embed_dim, D * hidden_size, num_layers) started
 * from the encoder's final states (a bidirectional layer's two directions concatenated, D = 2)
 * + Linear(D * hidden_size, tgt_vocab). With cell = SNN_SEQ2SEQ_CELL_GRU both LSTMs are GRUs
 * (PyTorch's nn.GRU: gate order r, z, n, so weight_ih_l0 etc. have 3 * hidden rows instead
 * of 4, same names) and the state carried from encoder to decoder is h alone. With attention (Luong): scores over the source
 * positions (dot: h_t . h_s; general: h_t . W h_s), masked past each length, softmax,
 * context c_t, then tanh(attn_combine([c_t, h_t])) feeds the output layer.
 */

typedef enum snn_seq2seq_attention {
    SNN_SEQ2SEQ_ATTENTION_NONE = 0,
    SNN_SEQ2SEQ_ATTENTION_DOT = 1,
    SNN_SEQ2SEQ_ATTENTION_GENERAL = 2
} snn_seq2seq_attention;

/* The recurrent cell of both the encoder and the decoder. */
typedef enum snn_seq2seq_cell {
    SNN_SEQ2SEQ_CELL_LSTM = 0,
    SNN_SEQ2SEQ_CELL_GRU = 1
} snn_seq2seq_cell;

/* The architecture of a new model. Fill with snn_seq2seq_options_init, then set at least the
 * vocabulary sizes and the special ids. */
typedef struct snn_seq2seq_options {
    size_t struct_size;      /* sizeof(snn_seq2seq_options) */
    int64_t src_vocab;       /* >= 1 */
    int64_t tgt_vocab;       /* >= 3 */
    int64_t embed_dim;       /* 1..65536 */
    int64_t hidden_size;     /* 1..65536, per encoder direction */
    int64_t num_layers;      /* 1..64, default 1 */
    bool bidirectional;      /* default false */
    int32_t attention;       /* snn_seq2seq_attention, default SNN_SEQ2SEQ_ATTENTION_NONE */
    int64_t pad_idx;         /* distinct ids; pad < src_vocab too (defaults 0, 1, 2) */
    int64_t bos_idx;
    int64_t eos_idx;
    int32_t cell;            /* snn_seq2seq_cell, default SNN_SEQ2SEQ_CELL_LSTM */
} snn_seq2seq_options;

/* Sets struct_size and the defaults: vocabularies and sizes 0 (set them), one layer, one
 * direction, no attention, pad 0, bos 1, eos 2, LSTM. */
snn_status snn_seq2seq_options_init(snn_seq2seq_options *options);

/* A freshly initialised model. Errors: SNN_ERR_INVALID_ARGUMENT (sizes, attention or cell
 * value, struct_size), SNN_ERR_OUT_OF_RANGE (special ids). */
snn_status snn_seq2seq_new(snn_module **out, const snn_seq2seq_options *options);

/* Mean cross-entropy of the teacher-forced decoder over the non-padding target positions
 * (EOS included), recorded for snn_backward. src [B, S], tgt [B, T] int64. */
snn_status snn_seq2seq_loss(snn_tensor **out, snn_module *model, const snn_tensor *src, const snn_tensor *tgt);

/* One training step: loss, backward, gradient clipping to max_grad_norm (<= 0: none),
 * optimizer step. out_loss (may be NULL) receives the loss before the step. */
snn_status snn_seq2seq_train_step(double *out_loss, snn_module *model, snn_optimizer *optimizer,
                                  const snn_tensor *src, const snn_tensor *tgt, double max_grad_norm);

/* Trains on all pairs (src [N, S], tgt [N, T]) for options->epochs in shuffled batches of
 * batch_size (shuffle seeded by seed), reporting through options->progress as
 * snn_classifier_fit does (options->scheduler is stepped after each epoch). */
snn_status snn_seq2seq_fit(snn_module *model, snn_optimizer *optimizer, const snn_tensor *src,
                           const snn_tensor *tgt, size_t batch_size, uint64_t seed, double max_grad_norm,
                           const snn_fit_options *options);

/* Decoder memory. Greedy, beam and score step the decoder over R rows at once (R = B for
 * greedy and score, beam_width for beam) in buffers set aside before the first step:
 *   4 * (R * tgt_vocab                      log-probabilities
 *        + 4 * num_layers * R * Hd          LSTM state (h, c) and reorder scratch (Hd = D * hidden_size)
 *        + R * (embed_dim + 7 * Hd) + S)    inputs, gates (4 Hd), attention scratch
 *   + 16 * R * max_length                   (beam only) the alive hypotheses' tokens
 * bytes; for a GRU, 2 * num_layers * R * Hd (h and its scratch, no c) and R * (embed_dim
 * + 9 * Hd) (6 Hd of gates: the input and hidden products kept apart) replace the LSTM terms. Above SNN_SEQ2SEQ_DECODER_MEMORY_LIMIT (1 GiB) the call fails with
 * SNN_ERR_INVALID_ARGUMENT before allocating anything, its message naming the function, R,
 * the target vocabulary, the bytes needed and the limit: for example beam_width 4096 over a
 * 70000-token vocabulary needs about 1.1 GiB. Use a smaller beam_width or max_length, or
 * decode in smaller batches. Candidate selection needs O(beam_width) more, whatever the
 * vocabulary. An allocation the machine cannot satisfy is SNN_ERR_OUT_OF_MEMORY. */
#define SNN_SEQ2SEQ_DECODER_MEMORY_LIMIT ((size_t)1 << 30)

/* Greedy decoding of src [B, S] without recording, at most max_length (1..65536) tokens per
 * row with EOS. out_tokens: int64 [B, L] (L the longest result, at least 1) padded with pad,
 * without BOS/EOS. out_log_probs (may be NULL): float32 [B] summed log-probabilities.
 * Errors: SNN_ERR_INVALID_ARGUMENT (max_length, decoder memory above the limit),
 * SNN_ERR_SHAPE / SNN_ERR_DTYPE (src not int64 [B, S]), SNN_ERR_OUT_OF_RANGE (a token id). */
snn_status snn_seq2seq_greedy(snn_tensor **out_tokens, snn_tensor **out_log_probs, snn_module *model,
                              const snn_tensor *src, int64_t max_length);

/* Beam search per row: keeps the beam_width (1..4096) best partial hypotheses by summed
 * log-probability; a hypothesis ends at EOS or after max_length tokens, and finished ones are
 * ranked by log_prob / length^length_penalty (length counts EOS; penalty in [0, 10], 0 = none).
 * Stops when beam_width hypotheses have ended or none is alive. Beam width 1 is greedy.
 * Ties between candidates go to the earlier hypothesis, then the smaller token id, so results
 * are deterministic. Memory: see "Decoder memory" above (R = beam_width); beam_width 4096
 * fits only vocabularies below about 65000 tokens. Outputs and errors as snn_seq2seq_greedy,
 * plus SNN_ERR_INVALID_ARGUMENT for beam_width or length_penalty out of range. */
snn_status snn_seq2seq_beam(snn_tensor **out_tokens, snn_tensor **out_log_probs, snn_module *model,
                            const snn_tensor *src, int64_t beam_width, int64_t max_length, double length_penalty);

/* Summed log-probability float32 [B] of each target row (its tokens, then EOS if with_eos)
 * given its source, through the decoding step (no recording). Decoder memory as above
 * (R = B, no hypotheses). */
snn_status snn_seq2seq_score(snn_tensor **out, snn_module *model, const snn_tensor *src, const snn_tensor *tgt,
                             bool with_eos);

/* Token strings (index = id) kept in the checkpoint: target = false for the source
 * vocabulary, true for the target one. count must equal that vocabulary's size, or be 0 to
 * clear; tokens must not contain newlines. */
snn_status snn_seq2seq_set_tokens(snn_module *model, bool target, const char *const *tokens, size_t count);

/* The token strings joined by '\n' (empty if none were set). Buffer rules as snn_module_type. */
snn_status snn_seq2seq_tokens(char *buf, size_t capacity, size_t *out_len, const snn_module *model, bool target);
