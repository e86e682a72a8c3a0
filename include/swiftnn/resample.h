/*
 * swiftnn/resample.h -- padding, resizing and one-hot encoding (torch.nn.functional.pad,
 * interpolate, one_hot). Included by swiftnn.h.
 */

/* Padding modes of snn_tensor_pad. */
typedef enum snn_pad_mode {
    SNN_PAD_CONSTANT = 0,  /* `value` outside; negative amounts crop */
    SNN_PAD_REFLECT = 1,   /* mirror without repeating the edge: amounts < the dimension's size */
    SNN_PAD_REPLICATE = 2, /* repeat the edge element */
    SNN_PAD_CIRCULAR = 3   /* wrap around: amounts <= the dimension's size */
} snn_pad_mode;

/* torch.nn.functional.pad(input, pad, mode, value): pad[0..n) lists (before, after) pairs
 * starting from the LAST dimension, as PyTorch's (n even, n / 2 <= rank). Any number of
 * trailing dimensions in every mode (PyTorch limits non-constant modes to three). The
 * backward adds each output gradient into the input element it was read from. Errors:
 * SNN_ERR_INVALID_ARGUMENT (odd n, a reflect amount >= the size, negative amounts outside
 * constant mode), SNN_ERR_SHAPE (cropping more than a dimension holds). */
snn_status snn_tensor_pad(snn_tensor **out, const snn_tensor *input, const int64_t *pad, size_t n, int32_t mode,
                          double value);

/* Interpolation modes of snn_tensor_interpolate. */
typedef enum snn_interpolate_mode {
    SNN_INTERPOLATE_NEAREST = 0,       /* PyTorch's 'nearest': src = floor(dst * in / out) */
    SNN_INTERPOLATE_NEAREST_EXACT = 1, /* 'nearest-exact': src = floor((dst + 0.5) * in / out) */
    SNN_INTERPOLATE_LINEAR = 2         /* 'linear' (3-D input) / 'bilinear' (4-D input) */
} snn_interpolate_mode;

/* torch.nn.functional.interpolate for input [N, C, L] or [N, C, H, W]: output spatial size
 * size[0..n) (n = rank - 2, each >= 1). scales (may be NULL; an entry <= 0 means none) are
 * the scale factors PyTorch hands its kernel when the size came from scale_factor: they set
 * the coordinate mapping (1 / scale instead of in / out). align_corners only with LINEAR.
 * Formulas and rounding are PyTorch's (float); the backward scatters with the same weights. */
snn_status snn_tensor_interpolate(snn_tensor **out, const snn_tensor *input, const int64_t *size, size_t n,
                                  const double *scales, int32_t mode, bool align_corners);

/* torch.nn.functional.one_hot: int64 indices [*] -> int64 [*, num_classes]; num_classes -1
 * means max + 1. Errors: SNN_ERR_DTYPE (not int64), SNN_ERR_OUT_OF_RANGE (an index < 0 or >=
 * num_classes), SNN_ERR_INVALID_ARGUMENT (-1 with an empty input). */
snn_status snn_tensor_one_hot(snn_tensor **out, const snn_tensor *indices, int64_t num_classes);
