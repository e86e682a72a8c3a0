/*
 * swiftnn/loss.h -- loss functions (torch.nn.functional's cross_entropy, nll_loss, mse_loss).
 * Included by swiftnn.h.
 *
 * Each returns a new tensor: a 0-d scalar for SNN_REDUCTION_MEAN and SNN_REDUCTION_SUM, the
 * per-element losses for SNN_REDUCTION_NONE. Each is one op with a fused backward (float32
 * inputs; gradients flow to every input that requires them except integer targets).
 *
 * Class targets (cross_entropy, nll_loss)
 * ---------------------------------------
 *   input   [N, C]           target [N]            (a batch of N, C classes)
 *   input   [N, C, d1, ...]  target [N, d1, ...]   (per pixel / per position: [N, C, H, W])
 *   input   [C]              target []             (one unbatched sample)
 * The target is int64 with values in [0, C) or equal to ignore_index (PyTorch's default -100;
 * any value, even one inside [0, C), may be chosen). Ignored positions have loss 0, no gradient,
 * and are not counted by SNN_REDUCTION_MEAN, which divides the sum by the number of targets
 * that are not ignored: with every target ignored the mean is 0 / 0 = NaN, as in PyTorch.
 *
 * Errors: SNN_ERR_DTYPE (input not float32, target not int64 or, for mse, not float32),
 * SNN_ERR_SHAPE (target shape does not match), SNN_ERR_OUT_OF_RANGE (a target outside
 * [0, C) that is not ignore_index; the message names the value, its flat position and C),
 * SNN_ERR_INVALID_ARGUMENT (unknown reduction, label_smoothing outside [0, 1]).
 */

/* How per-element losses are combined (PyTorch's reduction='none' | 'mean' | 'sum'). */
typedef enum snn_reduction {
    SNN_REDUCTION_NONE = 0, /* per-element losses, shaped like the target */
    SNN_REDUCTION_MEAN = 1, /* the average (over non-ignored targets for class losses) */
    SNN_REDUCTION_SUM = 2   /* the sum */
} snn_reduction;

/* torch.nn.functional.cross_entropy(logits, target, reduction, ignore_index, label_smoothing)
 * from unnormalised logits: per position j with class t,
 *     loss_j = logsumexp(x_j) - x_j[t]
 * computed stably (the maximum is subtracted; logits of any finite size are safe). With label
 * smoothing e in [0, 1] the target distribution is q = (1 - e) onehot(t) + e / C:
 *     loss_j = (1 - e) (logsumexp(x_j) - x_j[t]) + e / C * sum_c (logsumexp(x_j) - x_j[c]).
 * One fused op (no softmax tensor is materialised); backward: dx_j = g_j (softmax(x_j) - q). */
snn_status snn_loss_cross_entropy(snn_tensor **out, const snn_tensor *logits,
                                  const snn_tensor *target, snn_reduction reduction,
                                  int64_t ignore_index, float label_smoothing);

/* torch.nn.functional.nll_loss(log_probs, target, reduction, ignore_index): per position
 * loss_j = -log_probs_j[t] (log_probs typically from snn_tensor_log_softmax over dim 1).
 * Shapes and ignore_index as above. Backward: -g_j at the target class, 0 elsewhere. */
snn_status snn_loss_nll(snn_tensor **out, const snn_tensor *log_probs, const snn_tensor *target,
                        snn_reduction reduction, int64_t ignore_index);

/* torch.nn.functional.mse_loss(input, target, reduction): (input - target)^2, elementwise with
 * broadcasting (as PyTorch, which warns about it); SNN_REDUCTION_MEAN divides by the number of
 * broadcast elements (NaN when there are none). Both operands are float32 and both receive
 * gradients when they require them: d input = 2 (input - target) g = -d target. */
snn_status snn_loss_mse(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                        snn_reduction reduction);
