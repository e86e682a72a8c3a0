/*
 * swiftnn/autograd.h -- reverse-mode automatic differentiation. Included by swiftnn.h.
 *
 * Define-by-run, as in PyTorch: mark leaves with snn_tensor_set_requires_grad(t, true); every
 * op on them records how to differentiate itself; snn_tensor_backward(loss, NULL, false)
 * computes d loss / d leaf for every such leaf and adds it to the leaf's stored gradient
 * (gradients accumulate across backward calls until cleared with snn_tensor_zero_grad).
 * Inputs are leaves like any other: mark an input image to get the gradient of a loss with
 * respect to the image. The graph holds references to the tensors it needs, so freeing your
 * handles to intermediates is safe; backward frees the graph unless retain_graph is true.
 */

/* Marks a leaf tensor as requiring gradients (float32 only). Fails with SNN_ERR_AUTOGRAD on a
 * tensor produced by a recorded op (detach it first). */
snn_status snn_tensor_set_requires_grad(snn_tensor *t, bool requires_grad);
snn_status snn_tensor_requires_grad(bool *out, const snn_tensor *t);

/* Whether the tensor is a leaf (made by the user, not by a recorded op). */
snn_status snn_tensor_is_leaf(bool *out, const snn_tensor *t);

/* Runs the reverse pass from t. `gradient` is the upstream gradient, of t's shape; it may be
 * NULL only when t has one element (then 1 is used). With retain_graph = false the graph
 * behind t is released and a second backward through it fails with SNN_ERR_AUTOGRAD. */
snn_status snn_tensor_backward(snn_tensor *t, const snn_tensor *gradient, bool retain_graph);

/* A new handle to the stored gradient of t, or *out = NULL (and SNN_OK) if there is none.
 * The handle refers to the same storage the next backward accumulates into; free it with
 * snn_tensor_free when done (that does not clear the gradient). */
snn_status snn_tensor_grad(snn_tensor **out, const snn_tensor *t);

/* Replaces the stored gradient with a copy of `grad` (same shape), or clears it when grad is
 * NULL (PyTorch's t.grad = None). */
snn_status snn_tensor_set_grad(snn_tensor *t, const snn_tensor *grad);

/* Clears the stored gradient (the next backward starts from zero). */
snn_status snn_tensor_zero_grad(snn_tensor *t);

/* Keeps the gradient of a non-leaf tensor after backward (PyTorch's retain_grad()). */
snn_status snn_tensor_retain_grad(snn_tensor *t);

/* ---- gradient hooks (PyTorch's Tensor.register_hook) ----------------------------------
 *
 * A hook is called during snn_tensor_backward, on the backward's thread, with the gradient
 * arriving at the tensor it was registered on: on a leaf before the gradient is added to the
 * leaf's grad, on a non-leaf when the gradient reaches the op that produced the tensor (and
 * before snn_tensor_retain_grad stores it). A tensor's hooks run in registration order, each
 * on the previous one's result.
 *
 * `grad` is lent for the call: the engine frees that handle afterwards (do not free it). To
 * continue with another gradient, set *replacement to a tensor of grad's shape and dtype; the
 * engine takes that handle (and frees it). Leave *replacement NULL to keep grad. Any status
 * other than SNN_OK stops the backward, which returns that status. */
typedef snn_status (*snn_grad_hook_fn)(void *user_data, snn_tensor *grad, snn_tensor **replacement);

/* Called once with user_data when a hook is gone: removed, dropped with the graph that held
 * it (backward without retain_graph frees a non-leaf's hooks with the graph), or freed with
 * its leaf. */
typedef void (*snn_hook_release_fn)(void *user_data);

/* Registers `hook` on t's gradient; t must require grad (else SNN_ERR_AUTOGRAD). Writes the
 * hook's id (positive) to *out_id. `release` may be NULL. On a non-leaf the hook belongs to
 * the op that produced t at the time of the call: after an in-place op on t it still sees the
 * gradient of the value it was registered on. */
snn_status snn_tensor_register_hook(int64_t *out_id, snn_tensor *t, snn_grad_hook_fn hook, void *user_data,
                                    snn_hook_release_fn release);

/* Removes hook `id` from t; *out_removed says whether it was there (false once removed, or
 * once backward freed its graph). */
snn_status snn_tensor_remove_hook(bool *out_removed, snn_tensor *t, int64_t id);

/* A new tensor sharing t's data but cut off from the graph (requires_grad false). */
snn_status snn_tensor_detach(snn_tensor **out, const snn_tensor *t);

/* Disables recording on the calling thread until the matching snn_no_grad_end (nestable),
 * as `with torch.no_grad():`. snn_no_grad_end without a begin gives SNN_ERR_INVALID_ARGUMENT. */
snn_status snn_no_grad_begin(void);
snn_status snn_no_grad_end(void);

/* Whether the calling thread records ops (false inside a no-grad scope). */
snn_status snn_is_grad_enabled(bool *out);

/* The name of the op that produced t in the recorded graph (PyTorch's type(t.grad_fn).__name__
 * without its trailing number, e.g. "AddBackward"), or "" for a leaf or an unrecorded tensor;
 * written NUL-terminated into buf (capacity bytes), its length in *out_len (may be NULL). A
 * too-small buffer is SNN_ERR_INVALID_ARGUMENT with *out_len still set. */
snn_status snn_tensor_grad_fn_name(char *buf, size_t capacity, size_t *out_len, const snn_tensor *t);
