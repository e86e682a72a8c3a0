/*
 * swiftnn/onnx.h -- ONNX export (by tracing) and import. Included by swiftnn.h.
 *
 * Export
 * ------
 * SwiftNN exports by tracing: while a trace is recording on a thread, every engine op called on
 * that thread (snn_tensor_add, snn_tensor_conv2d, module forwards, ...) is recorded with its
 * input and output tensors and its arguments. An export turns the ops that the outputs depend
 * on into an ONNX graph:
 *   - IR version 8, opset 17 (read by onnxruntime, OpenCV DNN, TensorRT and others);
 *   - one graph input per traced input, whose dimension 0 is the symbolic "batch", so the
 *     file runs on any batch size (other sizes are fixed at their traced values);
 *   - parameters and buffers as initializers (raw little-endian data) named by their
 *     state-dict keys ("0.weight", "conv1.bias", "bn.running_mean"); any other tensor an op
 *     read (a 0-d scalar from host arithmetic, a constant mask) becomes a constant initializer;
 *   - nodes in the order the ops ran. linear is Gemm (transB = 1) on 2-D inputs, MatMul + Add
 *     otherwise; conv2d is Conv (pads [h_begin, w_begin, h_end, w_end]); max/avg pooling are
 *     MaxPool/AveragePool; adaptive average pooling to 1x1 is GlobalAveragePool (to sizes
 *     dividing the input, AveragePool); batch norm in eval is BatchNormalization; dropout in
 *     eval is nothing; relu6 is Clip(0, 6); reshape/view/flatten keep the batch dynamic.
 * Training-only ops (dropout in training mode, batch norm on batch statistics) and ops without
 * an ONNX equivalent (losses, max-pool indices, avg_pool2d's divisor_override, adaptive pooling
 * to sizes that do not divide the input) fail with a message naming the op: put the model in
 * eval mode (snn_module_train(m, false)) first. Python-side arithmetic that never reaches the
 * engine (say, reading a value with item() and branching on it) is baked in as traced.
 *
 * Import
 * ------
 * snn_onnx_load returns an snn_module that runs the graph with engine ops (float32 and int64;
 * float16/double/bfloat16 data is converted to float32, integer and bool data to int64). Run it
 * with snn_module_forward (one input, one output) or snn_module_forward_multi (inputs in graph
 * order, see snn_onnx_input_name). Its initializers are its buffers (snn_module_state_dict).
 * Initializers stored as external data (a file beside the model, as torch.onnx writes) are
 * read from the model's folder; a location that leaves the folder gives SNN_ERR_FORMAT.
 * Loading checks everything: a truncated or corrupt file, a tensor whose data does not match
 * its dims, an unknown data type, a node input defined nowhere (or only later: nodes must be
 * in topological order, so a cycle is an error too) give SNN_ERR_FORMAT; an op, attribute or
 * attribute value SwiftNN does not implement gives SNN_ERR_UNSUPPORTED. Messages name the node,
 * its op and the field. Shapes are checked when the model runs.
 *
 * Inference plan
 * --------------
 * A forward that records nothing (grad mode off, or no input or initializer requiring grad;
 * no trace) of a model with one float32 [N, C, H, W] input runs through a compiled plan when
 * every node is in the plan's set: Conv (groups 1 or one per channel), BatchNormalization in
 * inference mode after a Conv, a zero Pad of the spatial sizes read by one Conv, Relu, Clip,
 * HardSwish, Add of two same-shaped values, MaxPool (2-D, no Indices output), AveragePool
 * (2-D, symmetric padding of at most half the window, no dilation), GlobalAveragePool,
 * Flatten/Reshape to [N, features], Gemm, Identity and Constant. The plan
 * (built on the first call with each input shape, rebuilt when an initializer is written)
 * keeps activations channels-last in buffers reused across the forward, folds each
 * BatchNormalization into its convolution, applies bias, activation and a residual Add inside
 * the step that produces them, and picks each convolution's kernel from its shape: one filter
 * per channel -> the depthwise kernel; 1x1, stride 1, no padding -> one GEMM on the
 * activations; at most 4 input channels (an RGB stem) -> direct from the image; 3x3 at
 * stride 1 with 32+ channels in and out -> Winograd F(2x2, 3x3) (2.25x fewer multiplies; the
 * filters, transformed once, take 16/9 the memory); other groups = 1 -> patch rows gathered
 * into the same GEMM. Where activations would leave the
 * caches (1 MB or more for the batch), a 1x1 expansion, the depthwise convolution reading it
 * and the 1x1 projection after it run as one step by bands of rows. A batch runs whole up to
 * 64 MB of activations, in equal pieces beyond. Outputs match the node-by-node forward within
 * float32 rounding (sums run in another order) and do not depend on the thread count or the
 * batch's other images (pools give the node-by-node bits). Graphs whose convolutions of fewer
 * than 16 output channels take over a tenth of the work (their 16-channel vectors mostly
 * padding) are left node by node because that runs them faster, and plan_report says why.
 * Other graphs outside the plan's set, and calls that record, run node by node. MobileNetV2,
 * EfficientNet-Lite0, the DQN network and ResNet-18 are planned (docs/convolution.md).
 *
 * Handles: snn_onnx_trace is freed with snn_onnx_trace_free; modules from snn_onnx_load with
 * snn_module_free. A trace records on the thread that began it only; one trace at a time per
 * thread. Functions returning SNN_ERR_* leave out-pointers NULL.
 */

typedef struct snn_onnx_trace snn_onnx_trace;

/* Traces m on example_input (in eval mode: fails with SNN_ERR_INVALID_ARGUMENT naming any
 * Dropout or BatchNorm left in training mode; gradients are not recorded) and writes the ONNX
 * file to path (atomically). The input is "input", the outputs "output" ("output_0", ... for
 * several). The module runs once. */
snn_status snn_onnx_export(const snn_module *m, const snn_tensor *example_input, const char *path);

/* Starts recording the ops called on this thread. SNN_ERR_INVALID_ARGUMENT if this thread is
 * already recording. */
snn_status snn_onnx_trace_begin(snn_onnx_trace **out);

/* Stops recording (also done by snn_onnx_trace_export and snn_onnx_trace_free). */
snn_status snn_onnx_trace_end(snn_onnx_trace *tr);

/* Stops recording and writes the graph computing `outputs` from `inputs` by the recorded ops.
 * input_names / output_names: NULL for the defaults ("input", "output", or numbered), else
 * n_inputs / n_outputs distinct non-empty names. names: NULL, or a map (for example a module's
 * snn_module_state_dict) whose keys name the parameters and buffers used. Fails if an output
 * was not computed from the inputs by engine ops during the trace. */
snn_status snn_onnx_trace_export(snn_onnx_trace *tr, const snn_tensor *const *inputs, size_t n_inputs,
                                 const char *const *input_names, const snn_tensor *const *outputs,
                                 size_t n_outputs, const char *const *output_names,
                                 const snn_tensor_map *names, const char *path);

/* Stops recording and returns, in *out, a module that runs the graph computing `outputs` from
 * `inputs` by the recorded ops, as snn_onnx_load would from the exported file (with the
 * inference plan: this is how a native model is compiled for inference). The initializers
 * named by `names` (NULL, or a map such as snn_module_state_dict's) are those tensors
 * themselves, not copies: in-place updates (an optimizer step, snn_module_load_state_dict)
 * reach the module and its plan is rebuilt; a tensor replaced by another is not seen. Calls
 * that record gradients run the recorded ops on those tensors, so gradients reach them.
 * Data-dependent control flow is fixed as traced. Free *out with snn_module_free. */
snn_status snn_onnx_trace_module(snn_module **out, snn_onnx_trace *tr, const snn_tensor *const *inputs, size_t n_inputs,
                                 const snn_tensor *const *outputs, size_t n_outputs, const snn_tensor_map *names);

/* Number of ops recorded so far. */
snn_status snn_onnx_trace_count(size_t *out, const snn_onnx_trace *tr);

/* Releases a trace (ending it); NULL is a no-op. */
snn_status snn_onnx_trace_free(snn_onnx_trace *tr);

/* Loads an ONNX file as a module (see Import above). */
snn_status snn_onnx_load(snn_module **out, const char *path);

/* The inputs forward takes (graph inputs without an initializer) and the outputs it returns,
 * in order; names are written as snn_module_type writes strings. m must come from
 * snn_onnx_load (SNN_ERR_INVALID_ARGUMENT otherwise); index out of range is
 * SNN_ERR_OUT_OF_RANGE. */
snn_status snn_onnx_input_count(size_t *out, const snn_module *m);
snn_status snn_onnx_input_name(char *buf, size_t capacity, size_t *out_len, const snn_module *m, size_t index);
snn_status snn_onnx_output_count(size_t *out, const snn_module *m);
snn_status snn_onnx_output_name(char *buf, size_t capacity, size_t *out_len, const snn_module *m, size_t index);

/* The inference plan for input's shape as text, written as snn_module_type writes strings: its
 * steps (fused nodes joined by " + ") with the activation and packed-weight sizes; with
 * runs > 0 the model also runs that many planned forwards on input and the report gives each
 * step's median time, the slowest and the time by kind of step (the per-layer profile of a
 * planned network). When the graph is not planned for that shape the text says why.
 * m from snn_onnx_load (or snn_onnx_trace_module); runs 0...100000. */
snn_status snn_onnx_plan_report(char *buf, size_t capacity, size_t *out_len, snn_module *m, const snn_tensor *input,
                                int runs);

/* Whether m's grad-free forwards use the inference plan (default true). false runs every
 * forward node by node, as calls that record do (to compare the two). */
snn_status snn_onnx_set_planned(snn_module *m, bool enabled);
