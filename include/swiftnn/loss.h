/*
 * swiftnn/loss.h -- loss functions (torch.nn.functional's cross_entropy, nll_loss, mse_loss,
 * l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
 * kl_div).
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

/* The same two losses with class weights (PyTorch's weight=): weight is a 1-D tensor of C
 * values of the input's dtype, or NULL (every class 1, exactly the functions above). Each
 * position's loss is scaled by the weight of its target class:
 *     cross_entropy  loss_j = (1 - e) w[t] (lse_j - x_j[t]) + e / C sum_c w[c] (lse_j - x_j[c])
 *     nll            loss_j = -w[t] log_probs_j[t]
 * and SNN_REDUCTION_MEAN divides the sum by the summed weights w[t] of the targets that are not
 * ignored (PyTorch's weighted mean; NaN when that sum is 0). The weight receives no gradient
 * and is only read during the call (the caller keeps ownership). Errors as above, plus
 * SNN_ERR_SHAPE (weight not of shape [C]) and SNN_ERR_DTYPE (weight's dtype not the input's).
 * Thread-safety as every op: tensors may be shared across threads for reading. */
snn_status snn_loss_cross_entropy_weighted(snn_tensor **out, const snn_tensor *logits,
                                           const snn_tensor *target, const snn_tensor *weight,
                                           snn_reduction reduction, int64_t ignore_index,
                                           float label_smoothing);
snn_status snn_loss_nll_weighted(snn_tensor **out, const snn_tensor *log_probs, const snn_tensor *target,
                                 const snn_tensor *weight, snn_reduction reduction, int64_t ignore_index);

/* torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
 * reduction, zero_infinity): connectionist temporal classification.
 *   log_probs       [T, N, C] float32 or float64 (log_softmax over C), or unbatched [T, C]
 *   targets         int64 [N, S] (padded; S >= every target length) or 1-D (all targets
 *                   concatenated, sum(target_lengths) values); classes in [0, C)
 *   input_lengths   int64 [N] (or one value), each in [0, T]: the frames of each sample
 *   target_lengths  int64 [N] (or one value)
 * Per sample: -log of the summed probability of every alignment of its target (blanks
 * between repeats), by the alpha recursion in log space, in double. SNN_REDUCTION_NONE gives
 * [N] ([] unbatched), SUM the sum, MEAN the mean over the batch of each loss divided by its
 * target length (at least 1), as PyTorch. An impossible alignment (too few frames) is +inf;
 * zero_infinity turns those losses and their gradients into 0. Backward, to log_probs only,
 * is PyTorch's formula, exp(lp) - exp(log(alpha beta) + nll - lp), the gradient through a
 * log_softmax that produced log_probs. Errors: SNN_ERR_DTYPE, SNN_ERR_SHAPE (lengths not one
 * per sample, a target length beyond targets), SNN_ERR_OUT_OF_RANGE (blank outside [0, C), a
 * length outside its range, a target class outside [0, C)). The inputs are only read during
 * the call. */
snn_status snn_loss_ctc(snn_tensor **out, const snn_tensor *log_probs, const snn_tensor *targets,
                        const snn_tensor *input_lengths, const snn_tensor *target_lengths, int64_t blank,
                        snn_reduction reduction, bool zero_infinity);

/* torch.nn.functional.mse_loss(input, target, reduction): (input - target)^2, elementwise with
 * broadcasting (as PyTorch, which warns about it); SNN_REDUCTION_MEAN divides by the number of
 * broadcast elements (NaN when there are none). Both operands are float32 and both receive
 * gradients when they require them: d input = 2 (input - target) g = -d target. */
snn_status snn_loss_mse(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                        snn_reduction reduction);

/* Pointwise losses. Each is one op: the operands broadcast (as PyTorch, which warns when their
 * shapes differ; binary_cross_entropy[_with_logits] require equal shapes), the per-element
 * losses below are summed in double for MEAN (divided by the element count) and SUM, and the
 * backward gives gradients to input and target (a float target may require grad). Weights
 * scale elements and must broadcast to the loss's shape; they receive no gradient. With
 * d = input - target:
 *   l1_loss          |d|                                     (gradient 0 at d = 0)
 *   smooth_l1_loss   0.5 d^2 / beta if |d| < beta, else |d| - 0.5 beta   (beta >= 0; 0 is l1)
 *   huber_loss       0.5 d^2 if |d| < delta, else delta (|d| - 0.5 delta) (delta > 0)
 */
snn_status snn_loss_l1(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                       snn_reduction reduction);
snn_status snn_loss_smooth_l1(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                              snn_reduction reduction, double beta);
snn_status snn_loss_huber(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                          snn_reduction reduction, double delta);

/* torch.nn.functional.binary_cross_entropy on probabilities x in [0, 1] (else
 * SNN_ERR_INVALID_ARGUMENT naming the first bad element): -w (y log x + (1 - y) log(1 - x)),
 * each log clamped at -100 as PyTorch does. weight may be NULL. */
snn_status snn_loss_binary_cross_entropy(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                                         const snn_tensor *weight, snn_reduction reduction);

/* torch.nn.functional.binary_cross_entropy_with_logits, stable for any logit x:
 * w ((1 - y) x + (1 + (pw - 1) y) (log(1 + exp(-|x|)) + max(-x, 0))). weight and pos_weight
 * (pw: one value per class, broadcast along the last dimension) may be NULL. */
snn_status snn_loss_binary_cross_entropy_with_logits(snn_tensor **out, const snn_tensor *input,
                                                     const snn_tensor *target, const snn_tensor *weight,
                                                     const snn_tensor *pos_weight, snn_reduction reduction);

/* torch.nn.functional.kl_div(input, target, reduction, log_target) with input = log q:
 * target (log target - input), 0 where target is 0 (log_target: exp(t) (t - input)).
 * batchmean true is PyTorch's reduction='batchmean' (the sum divided by input's first size;
 * `reduction` is then ignored), the form that matches the mathematical KL divergence. */
snn_status snn_loss_kl_div(snn_tensor **out, const snn_tensor *input, const snn_tensor *target,
                           snn_reduction reduction, bool batchmean, bool log_target);
