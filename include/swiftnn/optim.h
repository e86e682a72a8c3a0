/*
 * swiftnn/optim.h -- optimizers (SGD, Adam, AdamW), gradient clipping and learning-rate
 * schedules, as torch.optim and torch.nn.utils.clip_grad_norm_. Included by swiftnn.h.
 *
 * A training loop
 * ---------------
 *     snn_tensor *params[2] = {w, b};              // float32 leaves with requires_grad set
 *     snn_adam_options o;
 *     snn_adam_options_init(&o);                     // torch's defaults
 *     o.lr = 1e-2;
 *     snn_optimizer *opt = NULL;
 *     snn_lr_scheduler *sched = NULL;
 *     snn_optimizer_adam(&opt, params, 2, &o);
 *     snn_lr_scheduler_cosine(&sched, opt, 100, 0.0); // T_max = 100 epochs
 *     for (int epoch = 0; epoch < 100; epoch++) {
 *         snn_optimizer_zero_grad(opt, true);
 *         ... forward; snn_tensor_backward(loss, NULL, false); ...
 *         float norm;
 *         snn_clip_grad_norm(&norm, params, 2, 1.0f, 2.0f);   // optional
 *         snn_optimizer_step(opt);
 *         snn_lr_scheduler_step(sched);
 *     }
 *     snn_lr_scheduler_free(sched);
 *     snn_optimizer_free(opt);
 *
 * Parameters and lifetimes
 * ------------------------
 * - Parameters are float32 leaf tensors (or tensors that retain their gradient). Each may
 *   appear once in an optimizer; a duplicate gives SNN_ERR_INVALID_ARGUMENT.
 * - snn_optimizer_step updates each parameter IN PLACE, in its own storage: every handle to
 *   the parameter (and every snn_tensor_detach view of it) sees the new values. It reads the
 *   stored gradient (snn_tensor_grad); parameters without one are skipped, as in PyTorch.
 * - The optimizer holds its own references to its parameters: freeing your parameter handles
 *   is safe and does not stop them from being updated; the tensors live until both your
 *   handles and the optimizer are freed. A scheduler likewise holds its optimizer, so the
 *   optimizer handle may be freed before the scheduler.
 * - Every constructor returns one new handle that must be released with the matching _free.
 *   An snn_optimizer handle passed where an snn_tensor or snn_lr_scheduler is expected (or
 *   the reverse) gives SNN_ERR_INVALID_HANDLE.
 *
 * Parameter groups
 * ----------------
 * As PyTorch's param_groups: the constructor makes group 0; snn_optimizer_add_sgd_group /
 * snn_optimizer_add_adam_group add groups with their own options. Learning rates are per
 * group (snn_optimizer_get_lr / set_lr); schedulers update every group.
 *
 * Options structs
 * ---------------
 * Fill one with its _init function (struct_size and PyTorch's defaults), then change fields:
 * snn_sgd_options_init, snn_adam_options_init, or snn_adamw_options_init (an snn_adam_options
 * with AdamW's weight_decay 1e-2). Every field is taken as given. A struct_size other than
 * sizeof the struct gives SNN_ERR_INVALID_ARGUMENT (smaller) or SNN_ERR_UNSUPPORTED (larger,
 * from a newer header: the library never reads past its own sizeof). Invalid values (negative
 * lr, beta outside [0, 1), nesterov without momentum or with dampening, NaN) give
 * SNN_ERR_INVALID_ARGUMENT, as PyTorch's ValueError.
 *
 * Thread safety: calls on one optimizer serialise on its lock, but a step must not run while
 * another thread runs backward into, reads or writes its parameters or their gradients.
 */

typedef struct snn_optimizer snn_optimizer;
typedef struct snn_lr_scheduler snn_lr_scheduler;

/* torch.optim.SGD:  g = grad (negated if maximize) + weight_decay * p;
 * with momentum: buf = g on the first step, then buf = momentum * buf + (1 - dampening) * g,
 * and g = nesterov ? g + momentum * buf : buf;  p -= lr * g. */
typedef struct snn_sgd_options {
    size_t struct_size;   /* sizeof(snn_sgd_options) */
    double lr;            /* learning rate >= 0, default 1e-3 */
    double momentum;      /* >= 0, default 0 */
    double dampening;     /* default 0 */
    double weight_decay;  /* L2 penalty added to the gradient, >= 0, default 0 */
    bool nesterov;        /* needs momentum > 0 and dampening 0 */
    bool maximize;        /* ascend instead of descend */
} snn_sgd_options;

/* torch.optim.Adam / AdamW, at step t (counted per parameter):
 * g = grad (negated if maximize); Adam: g += weight_decay * p; AdamW: p *= 1 - lr * weight_decay;
 * m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  amsgrad: vmax = max(vmax, v);
 * p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps). */
typedef struct snn_adam_options {
    size_t struct_size;   /* sizeof(snn_adam_options) */
    double lr;            /* learning rate >= 0, default 1e-3 */
    double beta1;         /* in [0, 1), default 0.9 */
    double beta2;         /* in [0, 1), default 0.999 */
    double eps;           /* >= 0, default 1e-8 */
    double weight_decay;  /* >= 0; Adam's default 0, AdamW's 1e-2 */
    bool amsgrad;         /* use the running maximum of v */
    bool maximize;        /* ascend instead of descend */
} snn_adam_options;

/* torch.optim.RMSprop:  g = grad (negated if maximize) + weight_decay * p;
 * v = alpha v + (1 - alpha) g^2;  centered: a = lerp(a, g, 1 - alpha), d = sqrt(v - a^2) + eps,
 * else d = sqrt(v) + eps;  momentum > 0: buf = momentum buf + g / d, p -= lr buf;
 * else p -= lr g / d. */
typedef struct snn_rmsprop_options {
    size_t struct_size;   /* sizeof(snn_rmsprop_options) */
    double lr;            /* learning rate >= 0, default 1e-2 */
    double alpha;         /* smoothing constant >= 0, default 0.99 */
    double eps;           /* >= 0, default 1e-8 */
    double weight_decay;  /* >= 0, default 0 */
    double momentum;      /* >= 0, default 0 */
    bool centered;        /* normalise by the estimated variance of the gradient */
    bool maximize;        /* ascend instead of descend */
} snn_rmsprop_options;

/* torch.optim.Adagrad, at step t (counted per parameter):  g = grad (negated if maximize)
 * + weight_decay * p;  sum += g^2;  p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps).
 * As in PyTorch, sum starts at initial_accumulator_value when the parameter is added, so
 * every parameter has state ("step", "sum") from construction. */
typedef struct snn_adagrad_options {
    size_t struct_size;               /* sizeof(snn_adagrad_options) */
    double lr;                        /* learning rate >= 0, default 1e-2 */
    double lr_decay;                  /* >= 0, default 0 */
    double weight_decay;              /* >= 0, default 0 */
    double initial_accumulator_value; /* >= 0, default 0 */
    double eps;                       /* >= 0, default 1e-10 */
    bool maximize;                    /* ascend instead of descend */
} snn_adagrad_options;

/* Set struct_size and PyTorch's defaults: SGD(lr 1e-3), Adam(lr 1e-3, betas (0.9, 0.999),
 * eps 1e-8, weight_decay 0), AdamW (the same with weight_decay 1e-2), RMSprop(lr 1e-2,
 * alpha 0.99, eps 1e-8) and Adagrad(lr 1e-2, eps 1e-10). */
snn_status snn_sgd_options_init(snn_sgd_options *opts);
snn_status snn_adam_options_init(snn_adam_options *opts);
snn_status snn_adamw_options_init(snn_adam_options *opts);
snn_status snn_rmsprop_options_init(snn_rmsprop_options *opts);
snn_status snn_adagrad_options_init(snn_adagrad_options *opts);

/* Creates an optimizer over params[0..n) (n >= 1) as parameter group 0. `opts` may be NULL
 * for all defaults. */
snn_status snn_optimizer_sgd(snn_optimizer **out, snn_tensor *const *params, size_t n,
                             const snn_sgd_options *opts);
snn_status snn_optimizer_adam(snn_optimizer **out, snn_tensor *const *params, size_t n,
                              const snn_adam_options *opts);
snn_status snn_optimizer_adamw(snn_optimizer **out, snn_tensor *const *params, size_t n,
                               const snn_adam_options *opts);
snn_status snn_optimizer_rmsprop(snn_optimizer **out, snn_tensor *const *params, size_t n,
                                 const snn_rmsprop_options *opts);
snn_status snn_optimizer_adagrad(snn_optimizer **out, snn_tensor *const *params, size_t n,
                                 const snn_adagrad_options *opts);

/* Adds params[0..n) as a new parameter group with its own options (PyTorch's
 * add_param_group). `opts` NULL means the options the optimizer was created with. The _sgd_
 * form needs an SGD optimizer, the _adam_ form an Adam or AdamW one, and so on (else
 * SNN_ERR_INVALID_ARGUMENT). */
snn_status snn_optimizer_add_sgd_group(snn_optimizer *opt, snn_tensor *const *params, size_t n,
                                       const snn_sgd_options *opts);
snn_status snn_optimizer_add_adam_group(snn_optimizer *opt, snn_tensor *const *params, size_t n,
                                        const snn_adam_options *opts);
snn_status snn_optimizer_add_rmsprop_group(snn_optimizer *opt, snn_tensor *const *params, size_t n,
                                           const snn_rmsprop_options *opts);
snn_status snn_optimizer_add_adagrad_group(snn_optimizer *opt, snn_tensor *const *params, size_t n,
                                           const snn_adagrad_options *opts);

/* Number of parameter groups (1 + the groups added). */
snn_status snn_optimizer_num_groups(size_t *out, const snn_optimizer *opt);

/* One optimization step over every parameter that has a gradient. Every gradient is checked
 * first (float32, the parameter's shape; else SNN_ERR_SHAPE) and state is allocated before any
 * parameter changes, so a failed step changes nothing. Runs without recording autograd. */
snn_status snn_optimizer_step(snn_optimizer *opt);

/* Clears the gradients of every parameter: set_to_none true drops them (as PyTorch 2's
 * default, zero_grad(set_to_none=True)); false fills them with zeros in place, so existing
 * gradient handles see zeros. */
snn_status snn_optimizer_zero_grad(snn_optimizer *opt, bool set_to_none);

/* Learning rate of a parameter group (param_groups[group]["lr"]); group out of range gives
 * SNN_ERR_OUT_OF_RANGE. set_lr needs a finite lr >= 0. */
snn_status snn_optimizer_get_lr(double *out, const snn_optimizer *opt, size_t group);
snn_status snn_optimizer_set_lr(snn_optimizer *opt, size_t group, double lr);

/* Set a group's momentum, as torch.optim.lr_scheduler.OneCycleLR(cycle_momentum=True) does:
 * SGD's momentum (validated with the group's dampening and nesterov), Adam's and AdamW's
 * beta1 (in [0, 1)). It takes effect at the next snn_optimizer_step; an SGD momentum buffer
 * appears at the first step with a non-zero momentum. RMSprop and Adagrad give
 * SNN_ERR_INVALID_ARGUMENT (their momentum cannot be changed after construction); group out of range SNN_ERR_OUT_OF_RANGE.
 * Not to be called concurrently with snn_optimizer_step on the same optimizer. */
snn_status snn_optimizer_set_momentum(snn_optimizer *opt, size_t group, double momentum);

/* A group's momentum as snn_optimizer_set_momentum sets it (SGD's momentum, Adam's and AdamW's
 * beta1), to read what OneCycleLR set. RMSprop and Adagrad give SNN_ERR_INVALID_ARGUMENT;
 * group out of range SNN_ERR_OUT_OF_RANGE. */
snn_status snn_optimizer_get_momentum(double *out, const snn_optimizer *opt, size_t group);

/* Optimizer state, as PyTorch's optimizer.state_dict()["state"], for checkpoints and resumed
 * runs (a run resumed from saved state continues bit for bit). The state is a list of entries
 * (param, key, value): `param` numbers the parameters across groups in order (group 0's first
 * is 0), as PyTorch does; keys are PyTorch's:
 *   SGD with momentum:  "momentum_buffer"
 *   Adam, AdamW:        "step" (a float32 scalar), "exp_avg", "exp_avg_sq",
 *                       "max_exp_avg_sq" (amsgrad only)
 *   RMSprop:            "step", "square_avg", "momentum_buffer" (momentum > 0),
 *                       "grad_avg" (centered)
 *   Adagrad:            "step", "sum" (from construction)
 * A parameter has no entries until its first step. Entry i of snn_optimizer_state_count's
 * list is read with snn_optimizer_state_get: its param number, its key (copied into key[0..
 * key_capacity) NUL-terminated; 32 bytes always suffice) and a new tensor handle holding a
 * COPY of the value (free it). Indices follow the order of the list at the time of the call:
 * do not step between the calls. snn_optimizer_state_set copies `value` into the state of
 * parameter `param` under `key`, creating the state if the parameter has none yet (the other
 * entries then start as a fresh state's); value must have the parameter's shape (a
 * one-element tensor for "step", a whole number >= 0) and dtype float32 (int64 for "step").
 * Errors: SNN_ERR_OUT_OF_RANGE (index or param), SNN_ERR_INVALID_ARGUMENT (a key this
 * optimizer does not keep for that parameter's group, a buffer too small), SNN_ERR_SHAPE,
 * SNN_ERR_DTYPE. */
snn_status snn_optimizer_state_count(size_t *out, const snn_optimizer *opt);
snn_status snn_optimizer_state_get(int64_t *out_param, char *key, size_t key_capacity, snn_tensor **out_value,
                                   const snn_optimizer *opt, size_t index);
snn_status snn_optimizer_state_set(snn_optimizer *opt, int64_t param, const char *key, const snn_tensor *value);

/* Releases an optimizer handle. NULL is a no-op. Its parameters stay valid (see above). */
snn_status snn_optimizer_free(snn_optimizer *opt);

/* ---- Gradient clipping -------------------------------------------------------------- */

/* torch.nn.utils.clip_grad_norm_: total = the norm_type-norm of all gradients of params[0..n)
 * taken together (norm_type > 0, or INFINITY for the largest absolute value); then every
 * gradient is multiplied in place by min(1, max_norm / (total + 1e-6)). Writes total (before
 * clipping) to *out_total_norm. Parameters without a gradient are skipped; a gradient shared
 * by two parameters counts once; no gradients at all gives 0. max_norm must be >= 0 (INFINITY
 * allowed). A non-finite total propagates into the gradients, as in PyTorch. */
snn_status snn_clip_grad_norm(float *out_total_norm, snn_tensor *const *params, size_t n,
                              float max_norm, float norm_type);

/* The same total norm without changing anything (torch.nn.utils.get_total_norm of the grads). */
snn_status snn_grad_norm(float *out_total_norm, snn_tensor *const *params, size_t n, float norm_type);

/* ---- Learning-rate schedulers --------------------------------------------------------- */

/* A scheduler sets the learning rate of every group of `opt` (PyTorch's recursive forms).
 * Creating it performs PyTorch's initial step (epoch 0; for LinearLR that already multiplies
 * the lr by start_factor); call snn_lr_scheduler_step once per epoch after
 * snn_optimizer_step. The base lr of a group is its lr when the first scheduler was
 * attached to it (PyTorch's initial_lr). Create it after adding every parameter group. */

/* StepLR: lr *= gamma at every epoch that is a multiple of step_size (>= 1). gamma >= 0
 * (PyTorch's default is 0.1). */
snn_status snn_lr_scheduler_step_lr(snn_lr_scheduler **out, snn_optimizer *opt, int64_t step_size, double gamma);

/* MultiStepLR: lr *= gamma^k at an epoch listed k times in milestones[0..n). */
snn_status snn_lr_scheduler_multi_step_lr(snn_lr_scheduler **out, snn_optimizer *opt,
                                          const int64_t *milestones, size_t n, double gamma);

/* CosineAnnealingLR: from the base lr down to eta_min (>= 0) at epoch t_max (>= 1), following
 * eta_min + (base - eta_min) (1 + cos(pi epoch / t_max)) / 2, back up over the next t_max. */
snn_status snn_lr_scheduler_cosine(snn_lr_scheduler **out, snn_optimizer *opt, int64_t t_max, double eta_min);

/* LinearLR (warm-up): the lr factor goes linearly from start_factor (0 < s <= 1) at epoch 0
 * to end_factor (0 <= e <= 1) at epoch total_iters (>= 0), then stays. PyTorch's defaults:
 * 1/3, 1, 5. */
snn_status snn_lr_scheduler_linear(snn_lr_scheduler **out, snn_optimizer *opt, double start_factor,
                                   double end_factor, int64_t total_iters);

/* ExponentialLR: lr *= gamma (>= 0) at every step; creation leaves the rates as they are. */
snn_status snn_lr_scheduler_exponential(snn_lr_scheduler **out, snn_optimizer *opt, double gamma);

/* LambdaLR and MultiplicativeLR take the schedule as a function of the epoch.
 *
 * lr_lambda(epoch, group, user_data) returns the factor for parameter group `group` at
 * `epoch`. It is called on the thread that creates or steps the scheduler, with no lock of the
 * engine held (it may read the optimizer or the scheduler), once per group per call. It
 * reports a failure by returning a non-finite value (NAN): the call that asked (the
 * constructor, or snn_lr_scheduler_step) then returns SNN_ERR_INVALID_ARGUMENT with a message
 * naming the function, the group and the epoch, and changes nothing (no rate, no epoch), so
 * the step may be retried. It must not longjmp or throw through the engine.
 *
 * release(user_data), if not NULL, is called exactly once when the engine no longer needs
 * lr_lambda and user_data: when the scheduler's last handle is freed (snn_lr_scheduler_free,
 * or of a snn_lr_scheduler_ref), or before the constructor returns if it fails for any
 * reason, NULL arguments included. It may run on whichever thread frees the last handle. */
typedef double (*snn_lr_lambda_fn)(int64_t epoch, int group, void *user_data);
typedef void (*snn_lr_lambda_release_fn)(void *user_data);

/* LambdaLR: lr = base_lr * lr_lambda(epoch, group); creation applies lr_lambda(0, group).
 * One function for every group; it tells them apart by `group` (PyTorch's list of lambdas). */
snn_status snn_lr_scheduler_lambda(snn_lr_scheduler **out, snn_optimizer *opt, snn_lr_lambda_fn lr_lambda,
                                   void *user_data, snn_lr_lambda_release_fn release);

/* MultiplicativeLR: lr *= lr_lambda(epoch, group) at every step (epochs 1, 2, ...); creation
 * leaves the rates as they are and does not call lr_lambda. */
snn_status snn_lr_scheduler_multiplicative(snn_lr_scheduler **out, snn_optimizer *opt, snn_lr_lambda_fn lr_lambda,
                                           void *user_data, snn_lr_lambda_release_fn release);

typedef enum snn_anneal_strategy {
    SNN_ANNEAL_COS = 0,    /* end + (start - end) / 2 (cos(pi pct) + 1) */
    SNN_ANNEAL_LINEAR = 1  /* start + (end - start) pct */
} snn_anneal_strategy;

/* OneCycleLR's arguments beyond the optimizer and max_lr (PyTorch's names and defaults).
 * The length of the schedule is total_steps if > 0, else epochs * steps_per_epoch (both > 0);
 * one of the two must be given. base_momentums / max_momentums, when not NULL, hold one value
 * per parameter group (read for every group) and replace base_momentum / max_momentum. */
typedef struct snn_one_cycle_options {
    size_t struct_size;             /* sizeof(snn_one_cycle_options) */
    int64_t total_steps;            /* > 0; 0 (default): epochs * steps_per_epoch */
    int64_t epochs;                 /* default 0 (not given) */
    int64_t steps_per_epoch;        /* default 0 (not given) */
    double pct_start;               /* fraction of the steps spent rising, [0, 1], default 0.3 */
    snn_anneal_strategy anneal_strategy; /* default SNN_ANNEAL_COS */
    bool cycle_momentum;            /* cycle SGD's momentum or Adam's/AdamW's beta1, default true */
    double base_momentum;           /* the momentum at max_lr, default 0.85 */
    double max_momentum;            /* the momentum at the ends, default 0.95 */
    const double *base_momentums;   /* NULL (default) or one per group */
    const double *max_momentums;    /* NULL (default) or one per group */
    double div_factor;              /* initial_lr = max_lr / div_factor, > 0, default 25 */
    double final_div_factor;        /* min_lr = initial_lr / final_div_factor, > 0, default 1e4 */
    bool three_phase;               /* rise, fall back to initial_lr, then to min_lr; default false */
} snn_one_cycle_options;

snn_status snn_one_cycle_options_init(snn_one_cycle_options *opts);

/* OneCycleLR (Smith's 1cycle; step once per batch): the lr rises from max_lr / div_factor to
 * max_lr over pct_start of the steps, then falls to initial_lr / final_div_factor, by cosine or
 * linear annealing; with cycle_momentum the momentum moves the opposite way between
 * max_momentum and base_momentum. max_lr[0..n_max_lr) holds one value for every group
 * (n_max_lr 1) or one per group. Creation sets each group's base lr (initial_lr) to
 * max_lr / div_factor and, with cycle_momentum, its momentum to max_momentum; an optimizer
 * without a settable momentum (RMSprop, Adagrad) then gives SNN_ERR_INVALID_ARGUMENT (set
 * cycle_momentum false). opts is required (the length has no default). As in PyTorch, steps
 * 1 ... total_steps are allowed after creation (the last one extrapolates the last phase, so
 * with few steps and linear annealing it can go below min_lr, even below 0); the next gives
 * SNN_ERR_INVALID_ARGUMENT and changes nothing. */
snn_status snn_lr_scheduler_one_cycle(snn_lr_scheduler **out, snn_optimizer *opt, const double *max_lr,
                                      size_t n_max_lr, const snn_one_cycle_options *opts);

typedef enum snn_plateau_mode {
    SNN_PLATEAU_MIN = 0,  /* the metric should decrease (a loss) */
    SNN_PLATEAU_MAX = 1   /* the metric should increase (an accuracy) */
} snn_plateau_mode;

typedef enum snn_threshold_mode {
    SNN_THRESHOLD_REL = 0,  /* better: below best * (1 - threshold) (MIN), above best * (1 + threshold) (MAX) */
    SNN_THRESHOLD_ABS = 1   /* better: below best - threshold (MIN), above best + threshold (MAX) */
} snn_threshold_mode;

/* ReduceLROnPlateau's arguments (PyTorch's names and defaults). */
typedef struct snn_plateau_options {
    size_t struct_size;                /* sizeof(snn_plateau_options) */
    snn_plateau_mode mode;             /* default SNN_PLATEAU_MIN */
    double factor;                     /* new lr = lr * factor, 0 <= factor < 1, default 0.1 */
    int64_t patience;                  /* epochs without improvement tolerated, >= 0, default 10 */
    double threshold;                  /* >= 0, default 1e-4 */
    snn_threshold_mode threshold_mode; /* default SNN_THRESHOLD_REL */
    int64_t cooldown;                  /* epochs to wait after a reduction, >= 0, default 0 */
    double min_lr;                     /* floor of every group's lr, >= 0, default 0 */
    const double *min_lrs;             /* NULL (default) or one floor per group, replacing min_lr */
    double eps;                        /* a reduction smaller than eps is skipped, >= 0, default 1e-8 */
} snn_plateau_options;

snn_status snn_plateau_options_init(snn_plateau_options *opts);

/* ReduceLROnPlateau: call snn_lr_scheduler_step_metric once per epoch with the metric; when
 * it has not improved (by threshold) for more than patience epochs, every group's lr becomes
 * max(lr * factor, min_lr), then cooldown epochs pass before bad epochs count again. Creation
 * leaves the rates as they are and, as PyTorch's, does not fix the groups' base lr (a
 * scheduler attached later takes the lr it finds). opts NULL: the defaults. snn_lr_scheduler_step on it gives
 * SNN_ERR_INVALID_ARGUMENT (it needs the metric). */
snn_status snn_lr_scheduler_reduce_on_plateau(snn_lr_scheduler **out, snn_optimizer *opt,
                                              const snn_plateau_options *opts);

/* One epoch of ReduceLROnPlateau with this epoch's metric (a NaN metric counts as no
 * improvement, as in PyTorch). Another kind of scheduler gives SNN_ERR_INVALID_ARGUMENT. */
snn_status snn_lr_scheduler_step_metric(snn_lr_scheduler *sched, double metric);

/* Advances one epoch and sets the optimizer's learning rates (not for ReduceLROnPlateau). */
snn_status snn_lr_scheduler_step(snn_lr_scheduler *sched);

/* The learning rate this scheduler last set for a group (get_last_lr()[group]). */
snn_status snn_lr_scheduler_get_lr(double *out, const snn_lr_scheduler *sched, size_t group);

/* The index of the last epoch: 0 after creation, +1 per step. */
snn_status snn_lr_scheduler_last_epoch(int64_t *out, const snn_lr_scheduler *sched);

/* Scheduler state, as PyTorch's scheduler.state_dict() (its keys), for checkpoints and
 * resumed runs: a list of entries (key, values). Every scheduler has
 *   "last_epoch" (1 value), "base_lrs" and "_last_lr" (one value per group);
 * ReduceLROnPlateau adds "best" (+-INFINITY before the first metric), "num_bad_epochs" and
 * "cooldown_counter" (1 value each). The arguments the scheduler was created with are not
 * state: create the resumed scheduler with the same ones, then set every entry (the
 * optimizer's rates and momenta are the optimizer's: restore them with snn_optimizer_set_lr
 * and snn_optimizer_set_momentum). snn_lr_scheduler_state_get copies entry `index` (0 <=
 * index < *count from snn_lr_scheduler_state_count): its key into key[0..key_capacity)
 * NUL-terminated (32 bytes always suffice), its values into values[0..values_capacity)
 * (capacity >= the number of groups always suffices) and their number into *out_count.
 * snn_lr_scheduler_state_set replaces one entry by values[0..n), validated: counters whole
 * numbers >= 0, rates finite and >= 0 with one per group; an unknown key gives
 * SNN_ERR_INVALID_ARGUMENT naming the scheduler's keys. */
snn_status snn_lr_scheduler_state_count(size_t *out, const snn_lr_scheduler *sched);
snn_status snn_lr_scheduler_state_get(size_t *out_count, char *key, size_t key_capacity, double *values,
                                      size_t values_capacity, const snn_lr_scheduler *sched, size_t index);
snn_status snn_lr_scheduler_state_set(snn_lr_scheduler *sched, const char *key, const double *values, size_t n);

/* Releases a scheduler handle (and its reference to the optimizer). NULL is a no-op. */
snn_status snn_lr_scheduler_free(snn_lr_scheduler *sched);
