/*
 * swiftnn/caption.h -- an image captioner: a CNN encoder whose features initialise the first
 * hidden state (h0, c0) of an LSTM decoder over a caption vocabulary. Included by swiftnn.h
 * (after train.h and recurrent.h).
 *
 * The captioner is an snn_module of type "ImageCaptioner", so everything in nn.h applies:
 * snn_module_parameters (for an optimizer), snn_module_save / snn_module_load (the vocabulary
 * and the architecture travel in the checkpoint's metadata), snn_module_train, _free.
 *
 * Architecture (PyTorch state-dict names in brackets):
 *   encoder [encoder.*]: conv_blocks x (Conv2d 3x3 pad 1 -> BatchNorm2d -> ReLU -> MaxPool2d 2),
 *     channels base_channels * 2^b, then global average pool, Linear(-> hidden_size), ReLU: f;
 *   h0 = tanh(init_h(f)), c0 = init_c(f)   [init_h.*, init_c.*]  (Linear hidden -> hidden);
 *   decoder: Embedding(V, embed_dim, padding_idx 0) [embed.weight] -> LSTM(embed_dim,
 *     hidden_size, batch_first) [lstm.*] from (h0, c0) -> Linear(hidden_size, V) [out.*].
 * Images are float32 [B, C, H, W] with H, W >= 2^conv_blocks. With conv_blocks 0 the
 * "images" are a frozen pretrained CNN's feature maps (docs/captioner.md: the captioner on
 * MobileNetV2's ImageNet features).
 *
 * Preprocessing travels with the checkpoint: pixel_mean and pixel_std (x = (x01 - mean) / std
 * for pixel values x01 in [0, 1]) and the training image size, so a host can caption an image
 * file the way training saw it:
 *
 *     snn_captioner_options cfg;
 *     snn_captioner_get_options(&cfg, m);                         // in_channels, image size, ...
 *     snn_image_read(&img, "photo.png", cfg.in_channels);     // [C, H, W] in [0, 1] (image.h)
 *     snn_captioner_caption_image(tok, cap, &n, &lp, m, img, NULL);   // normalises, captions
 *
 * snn_captioner_caption, _loss and _fit take tensors already normalised (as a training
 * script's data loader holds them) and apply no preprocessing.
 *
 * Tokens: ids 0, 1, 2, 3 are <pad>, <bos>, <eos>, <unk>; word i (0-based) of the vocabulary
 * given to snn_captioner_new has id i + 4. A training caption is a row of an int64 [N, L]
 * tensor: <bos> w1 ... wn <eos>, then <pad> (0) to length L. Training uses teacher forcing:
 * the decoder reads tokens 0..L-2 and predicts tokens 1..L-1; the mean cross-entropy ignores
 * <pad> targets (masked loss for captions of different lengths).
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL pointers, a bad struct_size, sizes out of range,
 * an empty or repeated vocabulary word; SNN_ERR_INVALID_HANDLE for an m that is not a live
 * ImageCaptioner module; SNN_ERR_SHAPE / SNN_ERR_DTYPE for images that are not float32
 * [B, C, H, W] with C = in_channels or captions that are not int64 [N, L >= 2];
 * SNN_ERR_OUT_OF_RANGE for a token id outside [0, V).
 */

/* Constructor options. Fill with snn_captioner_options_init, then change fields. */
typedef struct snn_captioner_options {
    size_t struct_size;      /* sizeof(snn_captioner_options) */
    int64_t in_channels;     /* image channels, 1...64 (default 3); 1...4096 with conv_blocks 0 */
    int64_t embed_dim;       /* word embedding size, 1...4096 (default 64) */
    int64_t hidden_size;     /* LSTM hidden size and feature size, 1...4096 (default 256) */
    int64_t base_channels;   /* channels of the first conv block, 1...512 (default 32) */
    int64_t conv_blocks;     /* conv blocks, 0...6 (default 3); 0: the inputs are feature maps
                              * of a pretrained CNN (snn_module_cache_features of a zoo
                              * model's layer), pooled and projected by the encoder's Linear */
    double pixel_mean;       /* training normalisation x = (x01 - pixel_mean) / pixel_std of pixel */
    double pixel_std;        /*   values x01 in [0, 1]: finite, std > 0 (defaults 0 and 1: none) */
    int64_t image_height;    /* training image size, 0...1000000; 0 and 0 = unknown (default). When */
    int64_t image_width;     /*   known, snn_captioner_caption_image refuses other sizes */
    int64_t feature_grid;    /* the encoder's last feature map is averaged over a grid x grid grid,
                              * 1...8 (default 2; 1 = global average, which loses where things
                              * are; checkpoints saved before this field load with 1) */
} snn_captioner_options;

/* Decoding options. Fill with snn_caption_options_init (greedy, max_length 20). */
typedef struct snn_caption_options {
    size_t struct_size;      /* sizeof(snn_caption_options) */
    int64_t beam_width;      /* 0 = greedy; 1...256 = beam search (width 1 gives greedy's caption) */
    int64_t max_length;      /* most tokens generated, the end token included: 1...10000 */
    double length_penalty;   /* beam score = log p / ((5 + length) / 6)^length_penalty; 0...10, 0 = raw log p */
    int64_t end_token;       /* the token that ends a caption; -1 = <eos> (2) */
} snn_caption_options;

/* Set struct_size and the defaults given beside each field. */
snn_status snn_captioner_options_init(snn_captioner_options *options);
snn_status snn_caption_options_init(snn_caption_options *options);

/* A freshly initialised captioner (parameters from the global generator, snn_manual_seed).
 * vocab: the words, separated by '\n' (no spaces inside a word; a trailing '\n' is fine). */
snn_status snn_captioner_new(snn_module **out, const snn_captioner_options *options, const char *vocab);

/* The configuration m was built with (a trained checkpoint's, after snn_module_load): every
 * field of *out, struct_size included, is written. Checkpoints saved before pixel_mean,
 * pixel_std and the image size existed report the defaults (0, 1, 0, 0). */
snn_status snn_captioner_get_options(snn_captioner_options *out, const snn_module *m);

/* The vocabulary size V (the 4 special tokens included). */
snn_status snn_captioner_vocab_size(int64_t *out, const snn_module *m);

/* Token ids of the space-separated words of text (unknown words are <unk>, 3), without <bos>
 * and <eos>, into tokens[0..capacity); *out_count receives the number of words (also when
 * capacity is too small, which is then SNN_ERR_INVALID_ARGUMENT). */
snn_status snn_captioner_encode(int64_t *tokens, size_t capacity, size_t *out_count, const snn_module *m,
                                const char *text);

/* The words of tokens[0..count) joined by single spaces (special tokens skipped), written
 * NUL-terminated into buf; *out_len receives the length without the NUL. */
snn_status snn_captioner_decode(char *buf, size_t capacity, size_t *out_len, const snn_module *m,
                                const int64_t *tokens, size_t count);

/* The teacher-forced training loss (a recorded scalar: backward gives every parameter's
 * gradient) of images [B, C, H, W] and captions int64 [B, L], for a host's own loop. */
snn_status snn_captioner_loss(snn_tensor **out, snn_module *m, const snn_tensor *images, const snn_tensor *captions);

/* Trains m on a data loader of (images [N, C, H, W], captions int64 [N, L]) made with
 * snn_dataloader_new, exactly as snn_classifier_fit does for classifiers (same options,
 * progress callback with snn_progress, early stop, loss history, scheduler per epoch). */
snn_status snn_captioner_fit(snn_module *m, snn_optimizer *optimizer, snn_dataloader *train,
                             const snn_fit_options *options);

/* Captions one image, float32 [C, H, W] or [1, C, H, W], in eval mode without recording
 * (m's mode is restored). options may be NULL (greedy, max_length 20). The generated token
 * ids (without <bos> and the end token) go to tokens[0..capacity) and their count to
 * *out_count (also when capacity is too small: then SNN_ERR_INVALID_ARGUMENT); tokens may be
 * NULL when capacity is 0. out_log_prob (may be NULL) receives the caption's log-probability,
 * end token included. Turn the tokens into text with snn_captioner_decode.
 * Memory: beam search keeps at most beam_width alive hypotheses (and as many successors),
 * each with its LSTM state (2 * hidden_size floats) and tokens (up to max_length), fewer than
 * 2 * beam_width finished ones, and per step at most beam_width candidates per hypothesis
 * (the best tokens of each, found without sorting the vocabulary), next to one V-float
 * log-probability buffer. At the option limits (beam_width 256, hidden_size 4096,
 * max_length 10000, V 1000004) that is at most about 120 MB, so unlike snn_seq2seq_beam
 * no further cap is needed. */
snn_status snn_captioner_caption(int64_t *tokens, size_t capacity, size_t *out_count, double *out_log_prob,
                                 snn_module *m, const snn_tensor *image, const snn_caption_options *options);

/* snn_captioner_caption for an image with pixel values in [0, 1], float32 [C, H, W] or
 * [1, C, H, W] with C = in_channels, as snn_image_read returns it: normalised first with the
 * captioner's pixel_mean and pixel_std ((x - mean) / std in float32), then captioned exactly
 * as snn_captioner_caption does (same arguments, outputs and options). When the captioner
 * knows its training image size (image_height, image_width > 0), an image of another size is
 * SNN_ERR_SHAPE naming both sizes (resize it first); values outside [0, 1] are not refused. */
snn_status snn_captioner_caption_image(int64_t *tokens, size_t capacity, size_t *out_count, double *out_log_prob,
                                       snn_module *m, const snn_tensor *image, const snn_caption_options *options);
