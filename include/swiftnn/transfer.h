/*
 * swiftnn/transfer.h -- feature caching for transfer learning: run a frozen pretrained
 * backbone once over a whole dataset and keep its outputs, so that a new head trains on them
 * for many epochs without running the backbone again. Included by swiftnn.h.
 *
 *     snn_module *net = NULL, *trunk = NULL, *pool = NULL, *flat = NULL, *backbone = NULL;
 *     snn_model_mobilenet_v2(&net, "mobilenet_v2.safetensors", NULL);
 *     snn_module_child(&trunk, net, "features");
 *     snn_module_adaptive_avg_pool2d(&pool, 1, 1);
 *     snn_module_flatten(&flat, 1, -1);
 *     snn_module *parts[] = {trunk, pool, flat};
 *     snn_module_sequential(&backbone, parts, 3, NULL);   // [N, 3, H, W] -> [N, 1280]
 *
 *     snn_image_preprocess_options pre;
 *     snn_image_preprocess_options_init(&pre);
 *     pre.resize_size = 96; pre.crop_size = 96;
 *     snn_feature_cache_options o;
 *     snn_feature_cache_options_init(&o);
 *     o.batch_size = 64; o.preprocess = &pre; o.path = "train_features.safetensors";
 *     snn_tensor *features = NULL;                          // [N, 1280], no gradient
 *     snn_module_cache_features(&features, backbone, images, "", &o);
 *     ... train a Linear(1280, classes) head on (features, labels) with snn_classifier_fit ...
 *
 * Fine-tuning the last blocks: cache the output of the frozen part (a Sequential of the
 * first blocks, or an inner layer by name) and train a Sequential of the remaining blocks and
 * the head on it, with snn_optimizer_add_*_group giving the blocks a lower learning rate
 * (examples/python/transfer.py; docs/transfer.md). Valid because the cached part runs in eval
 * mode: batch norm on its running statistics and no dropout, the same output every epoch.
 *
 * Thread safety: as every module (nn.h): the module must not run on another thread meanwhile.
 */

typedef struct snn_feature_cache_options {
    size_t struct_size;                       /* sizeof(snn_feature_cache_options) */
    size_t batch_size;                        /* inputs per forward pass, >= 1 (default 64) */
    const snn_image_preprocess_options *preprocess;
                                              /* NULL (default): batches go in as given; else
                                               * each batch [B, C, H, W] is preprocessed as
                                               * snn_image_preprocess does, after repeating a
                                               * one-channel batch to three channels
                                               * (torchvision's Grayscale(num_output_channels=3)) */
    const char *path;                         /* NULL (default): memory only; else the features
                                               * are also written to this safetensors file
                                               * (tensor "features", metadata "layer" and
                                               * "count"; read back with snn_tensor_map_load) */
    snn_progress_fn progress;                 /* may be NULL; called after every batch with
                                               * epoch = epochs = 1, step = batches done,
                                               * steps_per_epoch = batches, samples/s, elapsed
                                               * and ETA (loss and learning_rate are 0); return
                                               * false to stop (the call then fails with
                                               * SNN_ERR_INVALID_ARGUMENT and *out is NULL) */
    void *user_data;                          /* passed to progress */
} snn_feature_cache_options;

/* Sets struct_size and the defaults above. */
snn_status snn_feature_cache_options_init(snn_feature_cache_options *options);

/* Runs m over inputs [N, ...] in batches, in eval mode (restored afterwards) without
 * recording, and writes to *out a new tensor holding, for all N inputs, the output of the
 * inner module at the dotted path `layer` (as snn_module_features; "" or NULL is m's own
 * output), concatenated along dimension 0: [N, ...]. It requires no gradient, so a head
 * trained on it never reaches the backbone. options: NULL for the defaults.
 * Errors: NULL out, m or inputs, batch_size 0 -> SNN_ERR_INVALID_ARGUMENT; freed handles ->
 * SNN_ERR_INVALID_HANDLE; a scalar or empty inputs, or preprocessing of inputs that are not
 * [N, 1 or 3, H, W] -> SNN_ERR_SHAPE; a layer that is not a module of m ->
 * SNN_ERR_OUT_OF_RANGE; the file cannot be written -> SNN_ERR_IO; forward's own errors.
 * On error *out is NULL. */
snn_status snn_module_cache_features(snn_tensor **out, snn_module *m, const snn_tensor *inputs, const char *layer,
                                     const snn_feature_cache_options *options);
