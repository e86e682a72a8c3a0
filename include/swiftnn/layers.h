/*
 * swiftnn/layers.h -- constructors of the built-in layers (PyTorch's torch.nn names).
 * Included by swiftnn.h. Each returns a new snn_module (see swiftnn/nn.h for forward, state
 * dicts, train/eval and checkpoints); free it with snn_module_free. Parameters are created
 * with PyTorch's default initialisation drawn from the process-wide generator, so
 * snn_manual_seed makes models reproducible.
 */

/* ---- activations (no parameters; any shape in, same shape out) ------------------------ */
snn_status snn_module_relu(snn_module **out);
/* negative_slope as torch.nn.LeakyReLU (0.01 by default there). */
snn_status snn_module_leaky_relu(snn_module **out, float negative_slope);
snn_status snn_module_relu6(snn_module **out);
snn_status snn_module_tanh(snn_module **out);
snn_status snn_module_sigmoid(snn_module **out);

/* ---- shape ----------------------------------------------------------------------------- */
/* Flatten(start_dim, end_dim): merges those dimensions (torch.nn.Flatten uses 1 and -1). */
snn_status snn_module_flatten(snn_module **out, int64_t start_dim, int64_t end_dim);
