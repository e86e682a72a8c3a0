/*
 * swiftnn/nn.h -- modules (layers and models), state dicts and checkpoints.
 * Included by swiftnn.h.
 *
 * A module owns named parameters (trainable tensors), buffers (running statistics) and child
 * modules. Names follow PyTorch's state_dict keys: "0.weight", "conv1.bias",
 * "bn.running_mean". Checkpoints are safetensors files with those names, readable by
 * safetensors.numpy / safetensors.torch (so torch's model.load_state_dict accepts them), and
 * carry the architecture in their metadata so snn_module_load can rebuild the model alone.
 *
 * Handles: every snn_module handle from a constructor or accessor is released with
 * snn_module_free. A container (Sequential) holds its own references to its children: the
 * caller still frees the handles it passed in, and may keep using them (they alias the
 * children). Thread safety: forward (inference) may run on one module from any number of
 * threads at once; anything that changes the module (train mode, loading weights, backward,
 * optimizer steps) must not overlap with other calls on it (swiftnn/serving.h).
 */

typedef struct snn_module snn_module;
typedef struct snn_tensor_map snn_tensor_map;

/* Releases a module handle; NULL is a no-op. */
snn_status snn_module_free(snn_module *m);

/* out = m(input) for modules with one input and one output (all layers in this header). */
snn_status snn_module_forward(snn_tensor **out, snn_module *m, const snn_tensor *input);

/* General form for modules with several inputs/outputs (recurrent layers return the output
 * sequence and final states): writes up to `capacity` new handles to outs and their number to
 * *out_count. Fails with SNN_ERR_INVALID_ARGUMENT (and writes nothing) if capacity is too
 * small; *out_count then holds the number needed. A NULL entry in `inputs` is an absent
 * optional input (see recurrent.h); modules without optional inputs reject it. */
snn_status snn_module_forward_multi(snn_tensor **outs, size_t capacity, size_t *out_count, snn_module *m,
                                    const snn_tensor *const *inputs, size_t n_inputs);

/* Training mode on (dropout active, batch norm uses batch statistics) or off (eval), for the
 * module and all its descendants. */
snn_status snn_module_train(snn_module *m, bool training);
snn_status snn_module_is_training(bool *out, const snn_module *m);

/* Freezes (false) or unfreezes (true) every parameter of the module and its descendants. */
snn_status snn_module_set_requires_grad(snn_module *m, bool requires_grad);

/* PyTorch's Module.to(dtype) / .double() / .float(): converts every floating parameter and
 * buffer of the module and its descendants to `dtype` (SNN_FLOAT32 or SNN_FLOAT64) in place,
 * gradients included; integer buffers (num_batches_tracked) are left alone. The tensors keep
 * their identity: handles from snn_module_parameters / _named_parameters / _state_dict taken
 * before the call see the new dtype (views taken of them earlier keep the old values).
 * Optimizers hold per-parameter state of the old dtype: build them after converting.
 * Errors: SNN_ERR_DTYPE for a non-floating dtype (PyTorch's message), SNN_ERR_INVALID_HANDLE.
 * Not thread-safe with other calls on the module (it changes the module). */
snn_status snn_module_to_dtype(snn_module *m, snn_dtype dtype);

/* Number of parameter elements (trainable_only: only those that require grad). */
snn_status snn_module_parameter_count(int64_t *out, const snn_module *m, bool trainable_only);

/* Parameter tensors in named_parameters() order: writes up to `capacity` new tensor handles
 * (each freed by the caller; they alias the live parameters, so an optimizer built on them
 * updates the model) and their number to *out_count. With outs = NULL and capacity 0 it only
 * counts. */
snn_status snn_module_parameters(snn_tensor **outs, size_t capacity, size_t *out_count, const snn_module *m);

/* The parameters alone, by PyTorch key (a map referencing the live tensors). */
snn_status snn_module_named_parameters(snn_tensor_map **out, const snn_module *m);

/* The module's type name ("Conv2d", "Sequential", ...) into buf (NUL-terminated). *out_len
 * (may be NULL) receives the length without the NUL; too small a buffer gives
 * SNN_ERR_INVALID_ARGUMENT with *out_len set. */
snn_status snn_module_type(char *buf, size_t capacity, size_t *out_len, const snn_module *m);

/* A new handle to the child called `name` (one level: "0", "features"). */
snn_status snn_module_child(snn_module **out, const snn_module *m, const char *name);

/* The architecture as JSON (what checkpoints store), buffer rules as snn_module_type. */
snn_status snn_module_architecture(char *buf, size_t capacity, size_t *out_len, const snn_module *m);

/* A table of each child's output shape and parameter count for an input of `input_shape`
 * (found by running the model once on zeros in eval mode without recording), ending with
 * "Total params: N". Buffer rules as snn_module_type. */
snn_status snn_module_summary(char *buf, size_t capacity, size_t *out_len, snn_module *m,
                              const int64_t *input_shape, size_t ndim);

/* ---- state dicts and checkpoints ---------------------------------------------------- */

/* The module's parameters and buffers by PyTorch key. The map references the live tensors
 * (like torch's state_dict()): values read from it are the current ones. */
snn_status snn_module_state_dict(snn_tensor_map **out, const snn_module *m);

/* Copies values into the module's parameters and buffers (in place: optimizers keep working).
 * strict: every key must match (missing and unexpected keys are listed in the error). Shapes
 * and dtypes must match. */
snn_status snn_module_load_state_dict(snn_module *m, const snn_tensor_map *state, bool strict);

/* Saves the state dict and the architecture to a safetensors file, atomically: the data goes
 * to a temporary file beside the target (<path>.tmp.<pid>.<n>), is fsynced and renamed over
 * the target, then the directory is fsynced, so a crash or kill leaves the old file or the new
 * one, never a mix. A failed save (a write error such as ENOSPC, reported as SNN_ERR_IO with
 * the reason) removes its temporary file; temporaries left by killed saves to the same path
 * (their process gone) are removed by the next save. Only a regular file is replaced: a
 * device (/dev/null, /dev/full), a FIFO or a directory at `path` gives SNN_ERR_IO and is left
 * untouched. */
snn_status snn_module_save(const snn_module *m, const char *path);

/* Rebuilds the model described in a checkpoint written by snn_module_save and loads its
 * weights. Files without architecture metadata give SNN_ERR_FORMAT (load the weights into a
 * model built in code with snn_module_load_weights). The architecture is parsed in linear
 * time; modules may nest at most 1000 deep (SNN_ERR_FORMAT beyond). A PyTorch checkpoint
 * (torch.save's zip or legacy pickle) gives SNN_ERR_FORMAT saying so and how to convert it. */
snn_status snn_module_load(snn_module **out, const char *path);

/* Loads a safetensors file of PyTorch-named weights (for example one written by
 * safetensors.torch.save_file(model.state_dict(), path)) into an existing module. */
snn_status snn_module_load_weights(snn_module *m, const char *path, bool strict);

/* ---- containers ---------------------------------------------------------------------- */

/* Sequential(children...): children named "0", "1", ...; `names` may be NULL or give a name
 * for each child (no dots, no repeats). Modules nest at most 1000 deep (counting the leaf):
 * deeper gives SNN_ERR_INVALID_ARGUMENT. */
snn_status snn_module_sequential(snn_module **out, snn_module *const *children, size_t n,
                                 const char *const *names);

/* Appends a child to a Sequential (named by its position). A child may be shared by several
 * containers, but the module tree must stay acyclic: appending seq to itself, or a module
 * that contains seq, gives SNN_ERR_INVALID_ARGUMENT ("... would contain a cycle"), as does
 * nesting deeper than 1000 modules. */
snn_status snn_module_sequential_append(snn_module *seq, snn_module *child);

/* ---- tensor maps: named tensors, as in a safetensors file ---------------------------- */

snn_status snn_tensor_map_new(snn_tensor_map **out);
snn_status snn_tensor_map_free(snn_tensor_map *m);

/* Sets (or replaces) the entry `name` to refer to tensor t (no copy). */
snn_status snn_tensor_map_set(snn_tensor_map *m, const char *name, const snn_tensor *t);

/* A new handle to the tensor called `name`; SNN_ERR_OUT_OF_RANGE if there is none. */
snn_status snn_tensor_map_get(snn_tensor **out, const snn_tensor_map *m, const char *name);

snn_status snn_tensor_map_count(size_t *out, const snn_tensor_map *m);

/* The name of entry `index` (insertion or file order); buffer rules as snn_module_type. */
snn_status snn_tensor_map_name(char *buf, size_t capacity, size_t *out_len, const snn_tensor_map *m, size_t index);

/* Metadata strings (safetensors "__metadata__"). get: SNN_ERR_OUT_OF_RANGE if absent. */
snn_status snn_tensor_map_set_metadata(snn_tensor_map *m, const char *key, const char *value);
snn_status snn_tensor_map_get_metadata(char *buf, size_t capacity, size_t *out_len, const snn_tensor_map *m, const char *key);

/* Reads a safetensors file (F32 and I64 tensors). Truncated files, headers over 100 MB,
 * overlapping or out-of-range offsets, other dtypes and duplicate keys give SNN_ERR_FORMAT
 * with a message naming the problem; a missing file gives SNN_ERR_IO. */
snn_status snn_tensor_map_load(snn_tensor_map **out, const char *path);

/* Writes a safetensors file atomically. */
snn_status snn_tensor_map_save(const snn_tensor_map *m, const char *path);
