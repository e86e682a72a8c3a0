/*
 * swiftnn/norm.h -- layer and group normalization (torch.nn.functional.layer_norm,
 * group_norm) and their modules. Included by swiftnn.h.
 *
 * Each row -- the trailing normalized_shape of a sample (layer norm), or one group of
 * C / num_groups channels of a sample with all their positions (group norm) -- is normalized
 * by its own mean and biased variance:  y = (x - mean) / sqrt(var + eps) * weight + bias.
 * Statistics are accumulated in double. Unlike batch norm there are no running statistics:
 * training and evaluation compute the same thing. Gradients flow to input, weight and bias.
 * Errors: SNN_ERR_SHAPE (the input does not end with normalized_shape; weight or bias of
 * another shape; group norm input of rank < 2), SNN_ERR_INVALID_ARGUMENT (C not divisible by
 * num_groups, negative eps, NULL), SNN_ERR_DTYPE (not float32).
 */

/* Layer norm over the trailing normalized_shape[0..n) (1 <= n <= the input's rank) of
 * input [*, normalized_shape...]; weight and bias (may be NULL) have shape normalized_shape. */
snn_status snn_tensor_layer_norm(snn_tensor **out, const snn_tensor *input, const int64_t *normalized_shape, size_t n,
                                 const snn_tensor *weight, const snn_tensor *bias, double eps);

/* Group norm of input [N, C, *] in num_groups groups of channels; weight and bias (may be
 * NULL) are per channel, shape [C]. num_groups = 1 normalizes each sample as a whole;
 * num_groups = C is instance norm. */
snn_status snn_tensor_group_norm(snn_tensor **out, const snn_tensor *input, int64_t num_groups,
                                 const snn_tensor *weight, const snn_tensor *bias, double eps);

/* Modules (torch.nn.LayerNorm, GroupNorm): weight ones and bias zeros as PyTorch initializes
 * them, parameters named "weight" and "bias" (absent without the affine; LayerNorm's bias
 * also absent with bias = false), saved and rebuilt by snn_module_save / snn_module_load like
 * every layer. LayerNorm's input ends with normalized_shape; GroupNorm's is [N, num_channels,
 * *] with num_channels divisible by num_groups. PyTorch's defaults: eps 1e-5, affine true. */
snn_status snn_module_layer_norm(snn_module **out, const int64_t *normalized_shape, size_t n, double eps,
                                 bool elementwise_affine, bool bias);
snn_status snn_module_group_norm(snn_module **out, int64_t num_groups, int64_t num_channels, double eps, bool affine);
