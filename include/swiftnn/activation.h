/*
 * swiftnn/activation.h -- the activations PyTorch adds over relu, trigonometric and
 * hyperbolic functions, erf, rounding and reciprocal. Included by swiftnn.h.
 *
 * Conventions are those of swiftnn/elementwise.h: every function writes a new float32
 * tensor of its input's shape to *out (free it with snn_tensor_free); if an input requires a
 * gradient the op is recorded for snn_tensor_backward, with PyTorch's gradient rules
 * (including which side of a kink owns it, and what nan gives). Parameters and defaults are
 * torch.nn.functional's. nan in gives nan out unless a line below says otherwise.
 *
 * Errors (in addition to the conventions in swiftnn.h):
 *   SNN_ERR_INVALID_ARGUMENT  out or t is NULL; celu's alpha is 0; gelu's approximate is not
 *                             an snn_gelu_approximate value
 *   SNN_ERR_INVALID_HANDLE    t (or weight) is not a live tensor handle
 *   SNN_ERR_DTYPE             an input is int64 (these functions take float32 only)
 *   SNN_ERR_SHAPE             prelu: weight is neither one value nor [C], C = dim 1 of t
 *   SNN_ERR_OUT_OF_MEMORY     the result cannot be allocated
 *
 * Example: y = gelu(x) with PyTorch's default (exact) form:
 *     snn_tensor *y = NULL;
 *     snn_tensor_gelu(&y, x, SNN_GELU_NONE);
 */

/* ---- Activations ---------------------------------------------------------------------- */

/* out = t * min(max(t + 3, 0), 6) / 6 (torch.nn.functional.hardswish).
 *                                            gradient: 0 for t <= -3, g (t/3 + 1/2) for
 *                                            -3 < t < 3, g for t >= 3 (and at nan) */
snn_status snn_tensor_hardswish(snn_tensor **out, const snn_tensor *t);

/* out = min(max(t + 3, 0), 6) / 6 (torch.nn.functional.hardsigmoid).
 *                                            gradient: g / 6 for -3 < t < 3, else 0 */
snn_status snn_tensor_hardsigmoid(snn_tensor **out, const snn_tensor *t);

/* gelu's form (torch.nn.functional.gelu's `approximate`: 'none' or 'tanh'). */
typedef enum snn_gelu_approximate {
    SNN_GELU_NONE = 0, /* t * Phi(t), Phi the normal CDF: 0.5 t (1 + erf(t / sqrt 2)) */
    SNN_GELU_TANH = 1  /* 0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))) */
} snn_gelu_approximate;

/* out = gelu(t) in the given form. gelu(-inf) is nan (-inf * 0) in both forms, as in
 * PyTorch; gelu(+inf) is inf (PyTorch's CPU erf form gives nan there).
 *                                            gradient: g (Phi(t) + t phi(t)), phi the normal
 *                                            density; the tanh form's exact derivative */
snn_status snn_tensor_gelu(snn_tensor **out, const snn_tensor *t, snn_gelu_approximate approximate);

/* out = t * sigmoid(t) = t / (1 + e^-t) (torch.nn.functional.silu, "swish").
 *                                            gradient: g s (1 + t (1 - s)), s = sigmoid(t) */
snn_status snn_tensor_silu(snn_tensor **out, const snn_tensor *t);

/* out = log(1 + e^(beta t)) / beta, and t where beta t > threshold
 * (torch.nn.functional.softplus; PyTorch's defaults are beta 1, threshold 20).
 *                                            gradient: g z / (z + 1), z = e^(beta t); g
 *                                            where beta t > threshold */
snn_status snn_tensor_softplus(snn_tensor **out, const snn_tensor *t, float beta, float threshold);

/* out = t where t > 0, else alpha (e^t - 1) (torch.nn.functional.elu; default alpha 1).
 *                                            gradient: g alpha e^t for t <= 0, else g */
snn_status snn_tensor_elu(snn_tensor **out, const snn_tensor *t, float alpha);

/* out = t where t > 0, else alpha (e^(t/alpha) - 1) (torch.nn.functional.celu; default
 * alpha 1; alpha 0 is SNN_ERR_INVALID_ARGUMENT).
 *                                            gradient: g e^(t/alpha) for t <= 0, else g */
snn_status snn_tensor_celu(snn_tensor **out, const snn_tensor *t, float alpha);

/* out = scale * elu(t, alpha), alpha = 1.6732632..., scale = 1.0507009...
 * (torch.nn.functional.selu).                gradient: g scale alpha e^t for t <= 0, else
 *                                            g scale */
snn_status snn_tensor_selu(snn_tensor **out, const snn_tensor *t);

/* out = t * tanh(log(1 + e^t)) (torch.nn.functional.mish).
 *                                            gradient: g (w + t sigmoid(t) (1 - w^2)),
 *                                            w = tanh(log(1 + e^t)) */
snn_status snn_tensor_mish(snn_tensor **out, const snn_tensor *t);

/* out = t / (1 + |t|) (torch.nn.functional.softsign; nan at +-inf, as PyTorch).
 *                                            gradient: g / (1 + |t|)^2 */
snn_status snn_tensor_softsign(snn_tensor **out, const snn_tensor *t);

/* out = t where t > 0, else weight * t (torch.nn.functional.prelu). weight holds one value
 * (any shape of one element) or one per channel, shape [C] with C = dim 1 of t (t is
 * (N, C, ...)).                              gradient of t: g where t > 0, else g weight;
 *                                            of weight: g t where t <= 0, summed to its shape */
snn_status snn_tensor_prelu(snn_tensor **out, const snn_tensor *t, const snn_tensor *weight);

/* ---- Trigonometry, hyperbolic functions and erf (libm, single precision) --------------- */
/* sinh and cosh stay finite up to about 89.4 (PyTorch's CPU kernel gives inf from about
 * 88.72); elsewhere results match PyTorch within 1e-4 relative. */

snn_status snn_tensor_sin(snn_tensor **out, const snn_tensor *t);   /* gradient: g cos(t) */
snn_status snn_tensor_cos(snn_tensor **out, const snn_tensor *t);   /* gradient: -g sin(t) */
snn_status snn_tensor_tan(snn_tensor **out, const snn_tensor *t);   /* gradient: g (1 + out^2) */
/* asin and acos are nan outside [-1, 1].                              gradient: +-g / sqrt(1 - t^2) */
snn_status snn_tensor_asin(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_acos(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_atan(snn_tensor **out, const snn_tensor *t);  /* gradient: g / (1 + t^2) */
snn_status snn_tensor_sinh(snn_tensor **out, const snn_tensor *t);  /* gradient: g cosh(t) */
snn_status snn_tensor_cosh(snn_tensor **out, const snn_tensor *t);  /* gradient: g sinh(t) */
snn_status snn_tensor_asinh(snn_tensor **out, const snn_tensor *t); /* gradient: g / sqrt(t^2 + 1) */
/* acosh is nan below 1.                                               gradient: g / sqrt(t^2 - 1) */
snn_status snn_tensor_acosh(snn_tensor **out, const snn_tensor *t);
/* atanh is +-inf at +-1 and nan outside [-1, 1].                      gradient: g / (1 - t^2) */
snn_status snn_tensor_atanh(snn_tensor **out, const snn_tensor *t);
/* out = erf(t).                                                       gradient: g 2/sqrt(pi) e^(-t^2) */
snn_status snn_tensor_erf(snn_tensor **out, const snn_tensor *t);

/* ---- Rounding and reciprocal ----------------------------------------------------------- */

/* floor, ceil and round (to nearest, halves to even: round(2.5) = 2, as torch.round and
 * ONNX Round) have gradient 0 everywhere, as in PyTorch. */
snn_status snn_tensor_floor(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_ceil(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_round(snn_tensor **out, const snn_tensor *t);

/* out = 1, -1 or 0 (torch.sign: sign(-0) = 0 and sign(nan) = 0).   gradient: 0 */
snn_status snn_tensor_sign(snn_tensor **out, const snn_tensor *t);

/* out = 1 / t (+-inf at +-0).                                         gradient: -g out^2 */
snn_status snn_tensor_reciprocal(snn_tensor **out, const snn_tensor *t);
