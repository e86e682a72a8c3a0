/*
 * swiftnn/charrnn.h -- a character-level language model (char-RNN), trained and sampled in
 * the engine. Included by swiftnn.h (after recurrent.h and train.h).
 *
 * The model is an snn_module (free it with snn_module_free; snn_module_save/load and
 * snn_module_parameters work on it): Embedding(V, embed) -> LSTM(embed, hidden, layers) ->
 * Linear(hidden, V), with parameters embed.weight, lstm.weight_ih_l0 ..., head.weight,
 * head.bias (PyTorch's names). Characters are bytes: the vocabulary is a list of V distinct
 * bytes (1 <= V <= 256), stored in the checkpoint's architecture metadata, so a checkpoint
 * alone is enough to sample. Text given to the model must only use vocabulary bytes.
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL pointers, bad sizes or options, a text too short
 * for the batch, a non-CharRNN module; SNN_ERR_OUT_OF_RANGE for a byte outside the vocabulary
 * (the message gives its offset); SNN_ERR_AUTOGRAD if the loss becomes non-finite.
 */

/* Writes a new model to *out. vocab: vocab_len distinct bytes (class i is vocab[i]); embed,
 * hidden >= 1; layers in 1..64. Weights come from the global generator (snn_manual_seed). */
snn_status snn_charrnn_new(snn_module **out, const char *vocab, size_t vocab_len, int64_t embed, int64_t hidden,
                           int64_t layers);

/* The distinct bytes of text[0..length), ascending: a vocabulary for it. buf receives them
 * (not NUL-terminated: a vocabulary may contain byte 0) and *out_len their count; capacity 256
 * always suffices. */
snn_status snn_charrnn_vocab_of(char *buf, size_t capacity, size_t *out_len, const char *text, size_t length);

/* The model's vocabulary bytes into buf (capacity >= V), their count into *out_len. */
snn_status snn_charrnn_vocab(char *buf, size_t capacity, size_t *out_len, const snn_module *model);

/* Options of snn_charrnn_fit. Fill with snn_charrnn_fit_options_init, then change fields. */
typedef struct snn_charrnn_fit_options {
    size_t struct_size;        /* sizeof(snn_charrnn_fit_options) */
    int64_t seq_len;           /* truncated-BPTT chunk length, default 100 */
    int64_t batch_size;        /* parallel streams cut from the text, default 32 */
    int64_t epochs;            /* passes over the text, default 1 */
    int64_t max_steps;         /* stop after this many steps in total; 0 (default): no limit */
    double lr;                 /* Adam learning rate, default 2e-3 */
    double clip;               /* max total gradient norm; 0: no clipping; default 5 */
    int64_t report_every;      /* steps between progress calls, >= 1, default 50 */
    snn_progress_fn progress;  /* may be NULL; loss is in nats/char, samples_per_second is chars/s */
    void *user_data;
    double *loss_history;      /* may be NULL; receives each step's loss ... */
    size_t loss_history_capacity;  /* ... up to this many */
    size_t *loss_history_count;    /* may be NULL; receives the number of steps run */
    snn_ddp *ddp;                  /* may be NULL; data-parallel training over snn_ddp_new(model):
                                    * batch_size is the global number of streams (a multiple of
                                    * the ranks), each rank trains its own contiguous block */
} snn_charrnn_fit_options;

/* Sets struct_size and the defaults given beside each field (pointers NULL). */
snn_status snn_charrnn_fit_options_init(snn_charrnn_fit_options *opts);

/* Trains on text[0..length) with truncated BPTT: the text is cut into batch_size contiguous
 * streams; each step feeds seq_len characters of every stream, with the LSTM state carried
 * (detached) from the previous chunk (reset at each epoch), mean cross-entropy, backward,
 * gradient clipping, Adam. (The first LSTM layer reads its input projections as rows of a
 * [V, 4H] table, the embedding times weight_ih_l0^T, built per step: the same function as the
 * plain Embedding -> LSTM composition up to rounding, without its three input-side matrix
 * products.) The optimizer state persists across calls on the same model (not
 * in checkpoints). opts may be NULL for the defaults. The progress callback runs every
 * report_every steps and at the end of each epoch; returning false stops training early
 * (SNN_OK). A text longer than 2 GiB is SNN_ERR_INVALID_ARGUMENT (here and below). */
snn_status snn_charrnn_fit(snn_module *model, const char *text, size_t length,
                           const snn_charrnn_fit_options *opts);

/* Mean cross-entropy of predicting each next character of text, in bits per character, with
 * the state carried across chunks of seq_len (eval mode, nothing recorded). */
snn_status snn_charrnn_evaluate(double *out_bpc, snn_module *model, const char *text, size_t length,
                                int64_t seq_len, int64_t batch_size);

/* Writes prime followed by n sampled characters, NUL-terminated, to out (capacity >=
 * strlen(prime) + n + 1); *out_len (may be NULL) gets the length without the NUL. The
 * prime's bytes (may be "" or NULL: start from vocab[0], not echoed) are fed first; each next
 * character is drawn from softmax(logits / temperature) with a Philox generator seeded with
 * seed (the global generator is untouched), so a fixed seed gives the same text. The fused
 * path steps the cells on preallocated buffers: no tensors or autograd per character. With
 * snn_set_num_threads(2) or more and hidden size >= 128, two workers split each step (the
 * calling thread and one engine thread); the text is the same as with one thread. */
snn_status snn_charrnn_sample(char *out, size_t capacity, size_t *out_len, const snn_module *model, const char *prime,
                              int64_t n, double temperature, uint64_t seed);
