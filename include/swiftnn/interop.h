/*
 * swiftnn/interop.h -- handles that copy, and memory shared without copying: wrapping caller
 * memory as a tensor, and lending a tensor's data pointer. Included by swiftnn.h.
 *
 * Second handles
 * --------------
 * A handle is one reference to an engine object. snn_<kind>_ref gives a second, independent
 * handle to the SAME object (not a copy: values, gradients and state are shared). Each handle
 * is freed once with its _free; the object lives until the last handle (and the last internal
 * reference: graphs, optimizers, containers) is gone. Bindings use it to copy handle-holding
 * objects safely (Python's copy.copy).
 *
 * Borrowed memory
 * ---------------
 *     static void release(void *ctx) { free(ctx); }      // or unmap, or drop a refcount
 *     float *buf = malloc(6 * sizeof(float));            // any alignment works
 *     int64_t shape[2] = {2, 3};
 *     snn_tensor *x = NULL;
 *     snn_tensor_wrap(&x, buf, 6 * sizeof(float), shape, 2, SNN_FLOAT32, release, buf);
 *     ...                                              // x reads and writes buf directly
 *     snn_tensor_free(x);       // release(buf) runs here, or later if a graph, a view or
 *                               // another handle still refers to the tensor
 *
 * - The engine reads (and, unless read-only, writes) the caller's memory in place until it
 *   calls release(ctx): exactly once, when the last handle, view and autograd reference to
 *   the tensor is gone, on whatever thread drops it (make release thread-safe). Until then the
 *   memory must stay valid and must not be freed by the caller.
 * - If the wrap call fails, release is NOT called: the memory is still the caller's.
 * - Alignment: any address is accepted (kernels use unaligned loads), also one not a
 *   multiple of the element size; aligned memory is not faster by much.
 * - Layout: contiguous row-major, little-endian, `bytes` >= numel * element size (extra
 *   bytes are ignored). bool elements must be 0 or 1.
 * - A tensor over read-only memory (snn_tensor_wrap_readonly) refuses in-place writes
 *   (snn_tensor_copy_, optimizer steps, load_state_dict) with SNN_ERR_INVALID_ARGUMENT;
 *   results of ops on it are new, writable tensors.
 *
 * Errors: out NULL, data NULL with bytes > 0 or with elements, release NULL (pass a function
 * that does nothing if the memory outlives the tensor anyway), ndim > SNN_MAX_NDIM or a
 * negative dimension: SNN_ERR_INVALID_ARGUMENT; bytes too few for the shape: SNN_ERR_SHAPE; a
 * shape whose byte size overflows: SNN_ERR_OUT_OF_MEMORY; an unknown dtype code:
 * SNN_ERR_DTYPE. Thread safety as every tensor function.
 */

/* ---- second handles ------------------------------------------------------------------ */

/* *out = a new handle to the same tensor as t (same data, gradient and requires_grad). */
snn_status snn_tensor_ref(snn_tensor **out, const snn_tensor *t);
/* *out = a new handle to the same module (same parameters, mode and children). */
snn_status snn_module_ref(snn_module **out, const snn_module *m);
/* *out = a new handle to the same optimizer (same parameters, groups and state). */
snn_status snn_optimizer_ref(snn_optimizer **out, const snn_optimizer *opt);
/* *out = a new handle to the same learning-rate scheduler. */
snn_status snn_lr_scheduler_ref(snn_lr_scheduler **out, const snn_lr_scheduler *sched);
/* *out = a new handle to the same tensor map (entries set through either are seen by both). */
snn_status snn_tensor_map_ref(snn_tensor_map **out, const snn_tensor_map *m);
/* *out = a new handle to the same data loader (the same epoch and position). */
snn_status snn_dataloader_ref(snn_dataloader **out, const snn_dataloader *dl);

/* ---- independent copies of modules --------------------------------------------------- */

/* A new module built from `architecture` (the JSON of snn_module_architecture) holding copies
 * of the values in `state` (every key of the module's state dict, no others; shapes and dtypes
 * must match): a checkpoint held in memory. With snn_module_architecture and
 * snn_module_state_dict of a module, it makes an independent deep copy; bindings use it for
 * deepcopy and pickling. The new module is in training mode with every parameter requiring
 * grad, as a freshly built one. The construction's random initialisation is overwritten, so
 * the global generator (snn_manual_seed) is left where it was; do not draw random numbers on
 * another thread during this call. Errors: malformed JSON or an unknown module type
 * (SNN_ERR_FORMAT, SNN_ERR_UNSUPPORTED), missing or unexpected keys (SNN_ERR_FORMAT), shape or
 * dtype mismatches (SNN_ERR_SHAPE, SNN_ERR_DTYPE). */
snn_status snn_module_from_architecture(snn_module **out, const char *architecture, const snn_tensor_map *state);

/* ---- borrowed memory (see the top of this file) -------------------------------------- */

/* Called once with the ctx given to snn_tensor_wrap when the engine no longer needs the memory. */
typedef void (*snn_release_fn)(void *ctx);

/* A tensor of shape[0..ndim) and `dtype` over `bytes` bytes at `data`, shared, not copied. */
snn_status snn_tensor_wrap(snn_tensor **out, void *data, size_t bytes, const int64_t *shape, size_t ndim,
                           snn_dtype dtype, snn_release_fn release, void *ctx);

/* The same over memory the engine must never write (in-place writes are refused). */
snn_status snn_tensor_wrap_readonly(snn_tensor **out, const void *data, size_t bytes, const int64_t *shape,
                                    size_t ndim, snn_dtype dtype, snn_release_fn release, void *ctx);

/* *out = the address of t's first element, lent, not copied: numel * element size bytes,
 * contiguous row-major. A strided view (snn_tensor_is_contiguous false: a transpose, a slice
 * with a step, an expand) is refused with SNN_ERR_UNSUPPORTED; snn_tensor_strided_data_ptr
 * lends it with its strides, snn_tensor_contiguous copies it row-major. Valid while the caller
 * holds a handle to t (or to another handle of the same tensor); reading and writing through
 * it sees the tensor's values. Writing is allowed only if snn_tensor_is_writable says so, and
 * never while another thread runs an op on t. The storage is marked as exported: the engine
 * never recycles exported memory while any reference to it lives. Results of ops are always
 * new memory, so the pointer of an op's input is not reused for its output. */
snn_status snn_tensor_data_ptr(void **out, const snn_tensor *t);

/* *out = the address of t's first element (index 0, 0, ...) for any tensor, strided views
 * included, lent as snn_tensor_data_ptr lends it (same lifetime and writing rules): element
 * (i_0, ..., i_{n-1}) is at *out + (i_0 * stride_0 + ... ) * element size, the strides (in
 * elements, never negative, 0 along an expanded dimension) from snn_tensor_stride. Elements
 * of an expanded view share memory: writing one writes them all. */
snn_status snn_tensor_strided_data_ptr(void **out, const snn_tensor *t);

/* ---- DLPack ------------------------------------------------------------------------------- */
/* DLPack (dlpack.h) exchange with other frameworks, without copying. The pointers are
 * DLManagedTensor * of DLPack's unversioned ABI (the struct of DLPack 0.x, still the default
 * exchange of DLPack 1.x, numpy and PyTorch), passed as void * so that you may include your own
 * dlpack.h. CPU memory only (device kDLCPU = 1); dtypes float32 (kDLFloat, 32), float64
 * (kDLFloat, 64), int64 / int32 (kDLInt), uint8 (kDLUInt, 8) and bool (kDLBool, 8), lanes 1.
 *
 * snn_tensor_to_dlpack: *out_managed = a new DLManagedTensor sharing t's memory (data = t's
 * first element, byte_offset 0, strides always given: the row-major ones for a contiguous
 * tensor, the view's own for a strided view, 0 along an expanded dimension). The caller owns it
 * and must call its deleter exactly once, from any thread, when done; it keeps the tensor's
 * memory alive until then, whatever happens to t's handles. Marks t's storage exported. A
 * tensor over read-only memory gives SNN_ERR_UNSUPPORTED (unversioned DLPack cannot say
 * read-only: clone it first).
 *
 * snn_tensor_from_dlpack: *out = a tensor over `managed`'s memory (not copied). On success the
 * engine owns `managed` and calls its deleter (if not NULL) exactly once, when the last handle,
 * view and graph reference to the tensor is gone, on whatever thread that happens. On failure
 * nothing is taken: the caller still owns `managed`. Errors: NULL managed
 * (SNN_ERR_INVALID_ARGUMENT), another device (SNN_ERR_UNSUPPORTED), an unsupported dtype or
 * lanes != 1 (SNN_ERR_DTYPE), ndim outside 0...SNN_MAX_NDIM, negative sizes, NULL data with
 * elements (SNN_ERR_INVALID_ARGUMENT), a negative stride (SNN_ERR_UNSUPPORTED, as PyTorch),
 * sizes or strides that overflow (SNN_ERR_OUT_OF_MEMORY). Non-compact strides (numpy's
 * a[::2], a.T) are shared too, not copied: the tensor is a strided view (snn_tensor_as_strided)
 * of the span the layout covers, which the producer guarantees is valid memory. */
snn_status snn_tensor_to_dlpack(void **out_managed, const snn_tensor *t);
snn_status snn_tensor_from_dlpack(snn_tensor **out, void *managed);

/* *out = whether the engine may write t's memory: false for snn_tensor_wrap_readonly (and
 * so for read-only numpy arrays), true otherwise. */
snn_status snn_tensor_is_writable(bool *out, const snn_tensor *t);
