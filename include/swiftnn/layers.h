/*
 * swiftnn/layers.h -- constructors of the built-in layers (PyTorch's torch.nn names).
 * Included by swiftnn.h. Each returns a new snn_module (see swiftnn/nn.h for forward, state
 * dicts, train/eval and checkpoints); free it with snn_module_free. Parameters are created
 * with PyTorch's default initialisation drawn from the process-wide generator, so
 * snn_manual_seed makes models reproducible.
 */

/* ---- activations (no parameters; any shape in, same shape out) ------------------------ */
snn_status snn_module_relu(snn_module **out);
/* negative_slope as torch.nn.LeakyReLU (0.01 by default there). */
snn_status snn_module_leaky_relu(snn_module **out, float negative_slope);
snn_status snn_module_relu6(snn_module **out);
snn_status snn_module_tanh(snn_module **out);
snn_status snn_module_sigmoid(snn_module **out);

/* ---- shape ----------------------------------------------------------------------------- */
/* Flatten(start_dim, end_dim): merges those dimensions (torch.nn.Flatten uses 1 and -1). */
snn_status snn_module_flatten(snn_module **out, int64_t start_dim, int64_t end_dim);

/* ---- dense, convolution, pooling, normalisation, dropout ------------------------------- */

/* Linear(in_features, out_features, bias): y = x W^T + b over the last dimension.
 * Parameters "weight" [out, in] and "bias" [out], U(-1/sqrt(in), 1/sqrt(in)) as PyTorch. */
snn_status snn_module_linear(snn_module **out, int64_t in_features, int64_t out_features, bool bias);

/* Conv2d(in_channels, out_channels, (kernel_h, kernel_w), stride, padding, dilation, groups,
 * bias) with the stride/padding/dilation/groups of `options` (NULL: 1, 0, 1, 1; see
 * snn_conv2d_options in swiftnn/conv.h). Parameters "weight" [out, in/groups, kh, kw] and
 * "bias" [out]. Input [N, C, H, W]. */
snn_status snn_module_conv2d(snn_module **out, int64_t in_channels, int64_t out_channels,
                             int64_t kernel_h, int64_t kernel_w, const snn_conv2d_options *options, bool bias);

/* ConvTranspose2d(in, out, (kh, kw), options, output padding, bias): weight [in, out/groups,
 * kh, kw] and bias [out] initialised as PyTorch's (uniform, bound 1 / sqrt(out/groups kh kw)).
 * See snn_tensor_conv_transpose2d. */
snn_status snn_module_conv_transpose2d(snn_module **out, int64_t in_channels, int64_t out_channels, int64_t kh, int64_t kw,
                                       const snn_conv2d_options *options, int64_t output_pad_h, int64_t output_pad_w, bool bias);

/* MaxPool2d / AvgPool2d with the kernel, stride (0 = kernel), padding, dilation, ceil_mode
 * and count_include_pad of `options` (required: snn_pool2d_options_init, then the kernel). */
snn_status snn_module_max_pool2d(snn_module **out, const snn_pool2d_options *options);
snn_status snn_module_avg_pool2d(snn_module **out, const snn_pool2d_options *options);

/* AdaptiveAvgPool2d((out_h, out_w)): any [N, C, H, W] to [N, C, out_h, out_w]. */
snn_status snn_module_adaptive_avg_pool2d(snn_module **out, int64_t out_h, int64_t out_w);

/* BatchNorm2d (spatial_dims 2, input [N, C, H, W]) or BatchNorm1d (spatial_dims 1, input
 * [N, C] or [N, C, L]) over num_features channels. Parameters "weight" (ones) and "bias"
 * (zeros) when affine; buffers "running_mean", "running_var" and int64 "num_batches_tracked"
 * when track_running_stats (PyTorch's names, so its state dicts load). Training mode uses batch
 * statistics and updates the running ones; eval mode uses the running ones. */
snn_status snn_module_batch_norm(snn_module **out, int64_t num_features, int32_t spatial_dims, double eps,
                                 double momentum, bool affine, bool track_running_stats);

/* Dropout(p): zeroes elements with probability p in training mode and scales the rest by
 * 1/(1-p); identity in eval mode. Masks come from the process-wide generator. */
snn_status snn_module_dropout(snn_module **out, double p);
