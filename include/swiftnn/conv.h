/*
 * swiftnn/conv.h -- convolution, pooling, batch normalisation, dropout and the fully connected
 * layer's op, with the semantics of torch.nn.functional. Included by swiftnn.h.
 *
 * Images are float32 NCHW: [N, C, H, W] = (batch, channels, height, width). conv2d and the
 * pools also accept one unbatched image [C, H, W] and then return an unbatched result. Every op
 * returns a new tensor; if an input requires a gradient, the op is recorded for
 * snn_tensor_backward (swiftnn/autograd.h), so these are the building blocks of CNN layers.
 *
 * Output size of a sliding window
 * -------------------------------
 * Along one axis of length L, with kernel size k, stride s, padding p (on both sides) and
 * dilation d (taps d apart, so the window spans d (k - 1) + 1 elements):
 *
 *     out = floor((L + 2p - d (k - 1) - 1) / s) + 1
 *
 * With ceil_mode (pools only) the division rounds up instead, and then the last window is
 * dropped if it would start at or beyond L + p (it must start inside the input or its left
 * padding). A result below 1 is an error (SNN_ERR_SHAPE). Example: L = 7, k = 2, s = 2:
 * out = 3 (floor), 4 with ceil_mode (the last window covers only element 6).
 *
 * Option structs
 * --------------
 * Options go by pointer in a struct whose first field, struct_size, must be sizeof(the
 * struct) as compiled by the caller. Fill one with its _init function, which sets struct_size
 * and every default, then change what you need:
 *
 *     snn_conv2d_options o;
 *     snn_conv2d_options_init(&o);
 *     o.pad_h = o.pad_w = 1;
 *     snn_tensor_conv2d(&y, x, w, b, &o);
 *
 * A struct_size smaller than this header's struct gives SNN_ERR_INVALID_ARGUMENT; a larger one
 * (a caller built against a newer header) gives SNN_ERR_UNSUPPORTED rather than silently
 * ignoring options this library does not know. Later versions will only append fields.
 *
 * Errors (all functions): NULL out pointer or required input, or an option out of range ->
 * SNN_ERR_INVALID_ARGUMENT; non-float32 tensor -> SNN_ERR_DTYPE; shapes that do not fit
 * together -> SNN_ERR_SHAPE, with a message naming the function, the shapes and what was
 * expected. Every stride, padding, dilation and pool kernel size is at most 2^31 - 1.
 */

/* ---- Convolution ------------------------------------------------------------------------ */

typedef struct snn_conv2d_options {
    size_t struct_size;             /* sizeof(snn_conv2d_options) */
    int64_t stride_h, stride_w;     /* >= 1 (default 1) */
    int64_t pad_h, pad_w;           /* >= 0 zeros added on both sides (default 0) */
    int64_t dilation_h, dilation_w; /* >= 1 (default 1) */
    int64_t groups;                 /* >= 1, divides C and K (default 1) */
} snn_conv2d_options;

/* Sets struct_size and the defaults: stride 1, no padding, dilation 1, one group. */
snn_status snn_conv2d_options_init(snn_conv2d_options *options);

/* 2-D convolution (torch.nn.functional.conv2d): in fact a cross-correlation, as in every
 * deep-learning library (the kernel is not flipped).
 *   input  [N, C, H, W]  (or [C, H, W])
 *   weight [K, C / groups, kh, kw]
 *   bias   [K] or NULL
 *   out    [N, K, OH, OW] (or [K, OH, OW]), OH and OW by the formula above with k = kh, kw.
 *   out[n, k, i, j] = bias[k] + sum over c, a, b of
 *       weight[k, c, a, b] * input[n, g * C/groups + c, i*stride_h - pad_h + a*dilation_h,
 *                                                         j*stride_w - pad_w + b*dilation_w]
 * where g = k / (K / groups) is the group of filter k and positions outside the input read 0.
 * groups = C with weight [C * m, 1, kh, kw] is a depthwise convolution. options may be NULL
 * (all defaults). Errors: C != weight.shape[1] * groups, K not divisible by groups, bias not
 * [K], or a (dilated) kernel larger than the padded input -> SNN_ERR_SHAPE. Computed by a
 * kernel chosen per shape (docs/convolution.md): direct depthwise and small-channel kernels, or
 * the engine's packed GEMM over patch panels gathered from the images (OpenBLAS sgemm on CPUs
 * without AVX-512); the results do not depend on the thread count. The backward computes the
 * input, weight and bias gradients. */
snn_status snn_tensor_conv2d(snn_tensor **out, const snn_tensor *input, const snn_tensor *weight,
                             const snn_tensor *bias, const snn_conv2d_options *options);

/* ---- Pooling ------------------------------------------------------------------------------ */

typedef struct snn_pool2d_options {
    size_t struct_size;             /* sizeof(snn_pool2d_options) */
    int64_t kernel_h, kernel_w;     /* >= 1 (required: _init sets 0, set them) */
    int64_t stride_h, stride_w;     /* >= 1, or 0 for "equal to the kernel" (the default,
                                       PyTorch's stride=None); both or neither 0 */
    int64_t pad_h, pad_w;           /* 0 ... kernel / 2 (default 0); max pool pads with -inf,
                                       avg pool with 0 */
    int64_t dilation_h, dilation_w; /* >= 1 (default 1); max pool only: avg pool requires 1 */
    bool ceil_mode;                 /* round the output size up (default false) */
    bool count_include_pad;         /* avg pool only: divide by the window including its
                                       padding (default true, as PyTorch) */
    int64_t divisor_override;       /* avg pool only: > 0 divides every window by this value;
                                       0 = none (default) */
} snn_pool2d_options;

/* Sets struct_size and the defaults (PyTorch's): kernel 0 (set kernel_h and kernel_w),
 * stride 0 (the kernel size), no padding, dilation 1, ceil_mode false, count_include_pad true,
 * no divisor_override. */
snn_status snn_pool2d_options_init(snn_pool2d_options *options);

/* Max pooling (torch.nn.functional.max_pool2d): the maximum of each window of each plane.
 *   input [N, C, H, W] (or [C, H, W]) -> out [N, C, OH, OW] (or [C, OH, OW])
 * If out_indices is not NULL it receives an int64 tensor of out's shape holding, for each
 * output, the position ih * W + iw of the maximum within its input plane (return_indices=True;
 * usable for max unpooling). NaN counts as the maximum. A dilated window that misses the input
 * entirely (possible with padding) gives -inf and index -1. Example: arange(16) as [1, 1, 4, 4]
 * with a 2x2 kernel gives [[5, 7], [13, 15]], indices [[5, 7], [13, 15]].
 * Errors: C, H or W of 0, padding above kernel / 2, or an output smaller than 1x1. */
snn_status snn_tensor_max_pool2d(snn_tensor **out, snn_tensor **out_indices, const snn_tensor *input,
                                 const snn_pool2d_options *options);

/* Average pooling (torch.nn.functional.avg_pool2d): the mean of each window.
 *   input [N, C, H, W] (or [C, H, W]) -> out [N, C, OH, OW] (or [C, OH, OW])
 * The divisor of a window is divisor_override if set, else its size after clipping to the
 * padded input (count_include_pad) or to the input itself. A ceil-mode window lying entirely
 * in the padding gives 0. dilation_h and dilation_w must be 1. */
snn_status snn_tensor_avg_pool2d(snn_tensor **out, const snn_tensor *input, const snn_pool2d_options *options);

/* Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) to a fixed output size.
 *   input [N, C, H, W] (or [C, H, W]) -> out [N, C, out_h, out_w] (or [C, out_h, out_w])
 * Output row i averages input rows floor(i * H / out_h) ... ceil((i + 1) * H / out_h) - 1 (and
 * likewise for columns), so windows overlap when out_h does not divide H; out_h = out_w = 1 is
 * global average pooling. out_h, out_w >= 0. */
snn_status snn_tensor_adaptive_avg_pool2d(snn_tensor **out, const snn_tensor *input, int64_t out_h, int64_t out_w);

/* 3-D pooling options (torch.nn.functional.max_pool3d / avg_pool3d): (depth, height, width)
 * triples, with the meanings of snn_pool2d_options' fields. */
typedef struct snn_pool3d_options {
    size_t struct_size;             /* sizeof(snn_pool3d_options) */
    int64_t kernel[3];              /* >= 1 (required: _init sets 0, set them) */
    int64_t stride[3];              /* >= 1, or all 0 for "equal to the kernel" (the default) */
    int64_t padding[3];             /* 0 ... kernel / 2 (default 0); max pool pads with -inf,
                                       avg pool with 0 */
    int64_t dilation[3];            /* >= 1 (default 1); avg pool too (as ONNX AveragePool's
                                       dilations; PyTorch's avg_pool3d has none) */
    bool ceil_mode;                 /* round the output size up (default false) */
    bool count_include_pad;         /* avg pool only: count the padding in the divisor
                                       (default true, as PyTorch) */
    int64_t divisor_override;       /* avg pool only: > 0 divides every window by this value;
                                       0 = none (default) */
} snn_pool3d_options;

/* Sets struct_size and PyTorch's defaults: kernel 0 (set it), stride 0 (the kernel), no
 * padding, dilation 1, ceil_mode false, count_include_pad true, no divisor_override. */
snn_status snn_pool3d_options_init(snn_pool3d_options *options);

/* Max pooling over 3-D windows (torch.nn.functional.max_pool3d).
 *   input [N, C, D, H, W] (or [C, D, H, W]) -> out [N, C, OD, OH, OW] (or [C, OD, OH, OW])
 * If out_indices is not NULL it receives an int64 tensor of out's shape holding the position
 * (id * H + ih) * W + iw of each maximum within its input volume (return_indices=True). NaN
 * counts as the maximum. Errors as snn_tensor_max_pool2d's. */
snn_status snn_tensor_max_pool3d(snn_tensor **out, snn_tensor **out_indices, const snn_tensor *input,
                                 const snn_pool3d_options *options);

/* Average pooling over 3-D windows (torch.nn.functional.avg_pool3d), with
 * snn_tensor_avg_pool2d's divisor rules; a dilated window counts its taps. */
snn_status snn_tensor_avg_pool3d(snn_tensor **out, const snn_tensor *input, const snn_pool3d_options *options);

/* ---- Normalisation and regularisation ----------------------------------------------------- */

/* Batch normalisation (torch.nn.functional.batch_norm) of input [N, C] or [N, C, *] (e.g.
 * [N, C, H, W]); running_mean, running_var, weight and bias are [C] or NULL. Per channel c:
 *     out = (input - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
 * (weight NULL means 1, bias NULL means 0). training = true: mean and var are the statistics
 * of the batch over N and the spatial dimensions (var biased, divided by the count m), and
 * each running statistic that is not NULL is updated in place:
 *     running_mean = (1 - momentum) running_mean + momentum mean
 *     running_var  = (1 - momentum) running_var  + momentum var * m / (m - 1)  (unbiased)
 * training = false: the running statistics (both required) are used as mean and var.
 * PyTorch's defaults are momentum = 0.1 and eps = 1e-5. Gradients flow to input, weight and
 * bias; the running statistics are state and must not require grad (SNN_ERR_AUTOGRAD).
 * Training needs more than one value per channel (m > 1). The running statistics must not be
 * used from another thread during the call. */
snn_status snn_tensor_batch_norm(snn_tensor **out, const snn_tensor *input, snn_tensor *running_mean,
                                 snn_tensor *running_var, const snn_tensor *weight, const snn_tensor *bias,
                                 bool training, double momentum, double eps);

/* Transposed 2-D convolution (torch.nn.functional.conv_transpose2d), the adjoint of conv2d:
 *   input  [N, Cin, H, W]  (or [Cin, H, W])
 *   weight [Cin, Cout / groups, kh, kw]   (note: in_channels first, as PyTorch's)
 *   output [N, Cout, OH, OW], OH = (H - 1) stride_h - 2 pad_h + dilation_h (kh - 1) + output_pad_h + 1
 * `options` as for snn_tensor_conv2d (pad_* removes that many rows and columns from each
 * border of the full output; may be NULL); output_pad_h/w (>= 0, less than the stride or the
 * dilation) adds rows and columns at the bottom and right, resolving the output size when the
 * stride does not divide it. Gradients to input, weight and bias; conv2d's kernels do the work. */
snn_status snn_tensor_conv_transpose2d(snn_tensor **out, const snn_tensor *input, const snn_tensor *weight,
                                       const snn_tensor *bias, const snn_conv2d_options *options,
                                       int64_t output_pad_h, int64_t output_pad_w);

/* Options of snn_tensor_conv_transpose3d: (depth, height, width) triples. */
typedef struct snn_conv_transpose3d_options {
    size_t struct_size;             /* sizeof(snn_conv_transpose3d_options) */
    int64_t stride[3];              /* >= 1 (default 1) */
    int64_t padding[3];             /* >= 0 (default 0): removed from each border of the full output */
    int64_t output_padding[3];      /* >= 0, less than the stride or the dilation (default 0):
                                       added at the end, resolving the output size */
    int64_t dilation[3];            /* >= 1 (default 1) */
    int64_t groups;                 /* >= 1, dividing Cin and Cout (default 1) */
} snn_conv_transpose3d_options;

/* Sets struct_size and the defaults (stride 1, no padding, no output padding, dilation 1,
 * one group). */
snn_status snn_conv_transpose3d_options_init(snn_conv_transpose3d_options *options);

/* Transposed 3-D convolution (torch.nn.functional.conv_transpose3d):
 *   input  [N, Cin, D, H, W]  (or [Cin, D, H, W])
 *   weight [Cin, Cout / groups, kd, kh, kw]
 *   output [N, Cout, OD, OH, OW], OD = (D - 1) stride - 2 padding + dilation (kd - 1) + output_padding + 1
 * bias [Cout] or NULL; options NULL means the defaults. Composed from conv_transpose2d (one per
 * depth tap of the kernel), so gradients reach input, weight and bias through those ops. */
snn_status snn_tensor_conv_transpose3d(snn_tensor **out, const snn_tensor *input, const snn_tensor *weight,
                                       const snn_tensor *bias, const snn_conv_transpose3d_options *options);

/* Dropout (torch.nn.functional.dropout): with training = true and 0 < p, each element is
 * zeroed with probability p and the others are multiplied by 1 / (1 - p) (computed in double,
 * rounded to float); p = 1 zeroes everything. The mask comes from the process-wide generator:
 * element i is kept when u[i] >= p, where u is exactly the tensor snn_tensor_rand would return
 * for the input's shape at this point (and the generator advances the same way), so
 * snn_manual_seed makes masks reproducible. The backward multiplies by the same mask. With
 * training = false or p = 0 the result is the input itself (a new handle to the same tensor)
 * and nothing is drawn. 0 <= p <= 1. */
snn_status snn_tensor_dropout(snn_tensor **out, const snn_tensor *input, double p, bool training);

/* ---- Fully connected ------------------------------------------------------------------------ */

/* The linear layer's op (torch.nn.functional.linear), fused: out = input @ weight^T + bias.
 *   input  [..., in] (any leading dimensions, or just [in])
 *   weight [out, in]
 *   bias   [out] or NULL
 *   out    [..., out]
 * One sgemm (weight transposed by flag, never copied) onto the broadcast bias; the backward is
 * two sgemms and a column sum. Each of in, out and the product of the leading dimensions must
 * fit in 32 bits. */
snn_status snn_tensor_linear(snn_tensor **out, const snn_tensor *input, const snn_tensor *weight,
                             const snn_tensor *bias);
