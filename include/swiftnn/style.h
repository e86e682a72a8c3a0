/*
 * swiftnn/style.h -- neural style transfer (Gatys, Ecker and Bethge 2015, "A Neural Algorithm
 * of Artistic Style"): the pixels of an image are optimized so that a frozen pretrained CNN
 * sees the content image's features in its deep layers and the style image's feature
 * correlations (Gram matrices) in its style layers. Included by swiftnn.h.
 *
 *     snn_module *net = NULL;
 *     snn_model_mobilenet_v2(&net, "mobilenet_v2.safetensors", NULL);
 *     snn_tensor *content = NULL, *style = NULL, *out = NULL;
 *     snn_image_read(&content, "photo.png", 3);            // [3, H, W] in [0, 1]
 *     snn_image_read(&style, "painting.png", 3);
 *     snn_style_options o;
 *     snn_style_options_init(&o);                            // MobileNetV2's layers, 300 steps
 *     o.progress = on_progress;                              // step, loss, steps/s, ETA
 *     snn_style_transfer(&out, net, content, style, &o);   // [1, 3, H, W] in [0, 1]
 *
 * The loss at an image x (values in [0, 1], normalised with `mean` and `std` before the
 * network):
 *     content_weight * sum over content layers l of mean((F_l(x) - F_l(content))^2)
 *   + style_weight   * sum over style layers l of mean((G_l(x) - G_l(style))^2)
 *   + tv_weight      * (mean((x[.., i+1, :] - x[.., i, :])^2) + mean((x[.., :, j+1] - x[.., :, j])^2))
 * where F_l is layer l's output [1, C, H, W] and G_l = F F^T / (C H W) with F reshaped to
 * [C, H W] (so the style image may have another size than the content image). Adam (the
 * engine's, PyTorch's update) moves the pixels; after each step they are clamped to [0, 1].
 * This is PyTorch's neural-style tutorial's loss with a total-variation term; the golden test
 * checks the loss, its gradient and the first 20 steps against PyTorch (docs/style.md).
 *
 * Layers are dotted module paths of the network (as snn_module_features). For a MobileNetV2
 * (snn_model_mobilenet_v2) NULL lists mean content "features.13" and style "features.0.0",
 * "features.1", "features.3", "features.6", "features.10" (docs/style.md says why); any other
 * network needs its layers named. The forward stops after the deepest layer asked for.
 *
 * Thread safety: as every module (nn.h): the network must not run on another thread
 * meanwhile. During the call it is in eval mode with its parameters not requiring grad; both
 * are restored before the call returns.
 */

/* The loss at one image, split into its weighted terms (total = content + style + tv). The
 * caller sets struct_size (snn_style_losses l = {sizeof l};); the library fills the rest. */
typedef struct snn_style_losses {
    size_t struct_size;                   /* sizeof(snn_style_losses) */
    double total, content, style, tv;
} snn_style_losses;

typedef struct snn_style_options {
    size_t struct_size;                   /* sizeof(snn_style_options) */
    const char *const *content_layers;    /* NULL (default): the network's defaults (above) */
    size_t content_layer_count;           /* entries in content_layers (0 with NULL) */
    const char *const *style_layers;      /* NULL (default): the network's defaults */
    size_t style_layer_count;
    double content_weight;                /* >= 0, default 1 */
    double style_weight;                  /* >= 0, default 1e7 */
    double tv_weight;                     /* >= 0, default 1 */
    int64_t steps;                        /* Adam steps, 0...1000000, default 300 */
    double learning_rate;                 /* > 0, default 0.03 (pixels are in [0, 1]) */
    float mean[3];                        /* normalisation before the network: ImageNet's */
    float std[3];                         /* (0.485, 0.456, 0.406) and (0.229, 0.224, 0.225) */
    const snn_tensor *initial;            /* NULL (default): start from the content image; else
                                           * an image of the content image's shape */
    int64_t report_every;                 /* steps between progress calls, >= 1, default 10 */
    snn_progress_fn progress;             /* may be NULL; called every report_every steps and
                                           * after the last with epoch = epochs = 1, step =
                                           * steps done, steps_per_epoch = steps, loss = the
                                           * last step's total loss, samples_per_second =
                                           * steps per second, elapsed and ETA; return false to
                                           * stop early (the image so far is returned, SNN_OK) */
    void *user_data;                      /* passed to progress */
    snn_style_losses *losses;             /* may be NULL; else (its struct_size set) the last
                                           * step's losses are written here after every step
                                           * (so progress may read the terms) and at the end */
} snn_style_options;

/* Sets struct_size and the defaults above. */
snn_status snn_style_options_init(snn_style_options *options);

/* Runs the style transfer and writes to *out a new image [1, 3, H, W] (float32, values in
 * [0, 1], no gradient) of the content image's size. content and style are float32
 * [3, H, W] or [1, 3, H, W] with values in [0, 1] (as snn_image_read gives; each side at
 * least 32 for a MobileNetV2); options: NULL for the defaults.
 * Errors: NULL out, net, content or style -> SNN_ERR_INVALID_ARGUMENT; freed handles ->
 * SNN_ERR_INVALID_HANDLE; images that are not RGB [3, H, W] / [1, 3, H, W] (a gray or RGBA
 * image), an image too small for the network or for a style layer (fewer than 4 positions in
 * its feature map), an initial image of another shape -> SNN_ERR_SHAPE; not float32 ->
 * SNN_ERR_DTYPE; a layer that is not a module of net -> SNN_ERR_OUT_OF_RANGE; no layers for a
 * network without defaults, a layer named twice, negative or non-finite weights, steps out of
 * range, learning_rate <= 0, std <= 0, report_every 0, a loss that becomes NaN or infinite
 * -> SNN_ERR_INVALID_ARGUMENT. On error *out is NULL. */
snn_status snn_style_transfer(snn_tensor **out, snn_module *net, const snn_tensor *content, const snn_tensor *style,
                              const snn_style_options *options);

/* The loss at `image` ([1, 3, H, W] or [3, H, W], the content image's size) and its gradient
 * with respect to the image, without optimizing: writes the terms to *out_losses and a new
 * tensor of the image's shape to *out_grad. For checking a style transfer against another
 * implementation (Tests/golden/style). options: as snn_style_transfer's (steps, learning
 * rate, initial, progress unused). Errors: as snn_style_transfer's, and NULL out_grad or
 * out_losses, or out_losses->struct_size not sizeof(snn_style_losses) ->
 * SNN_ERR_INVALID_ARGUMENT. On error *out_grad is NULL. */
snn_status snn_style_loss(snn_tensor **out_grad, snn_style_losses *out_losses, snn_module *net, const snn_tensor *image,
                          const snn_tensor *content, const snn_tensor *style, const snn_style_options *options);
