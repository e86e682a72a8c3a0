/*
 * swiftnn.h -- the C interface of SwiftNN, a neural-network engine written in Swift.
 *
 * This header is the manual. Link with -lswiftnn (and nothing else: the Swift runtime is
 * linked into libswiftnn.so; it needs only libopenblas and the C/C++ runtime).
 *
 * A first program
 * ---------------
 *     #include <swiftnn.h>
 *     int64_t shape[2] = {2, 3};
 *     float data[6] = {1, 2, 3, 4, 5, 6};
 *     snn_tensor *x = NULL, *y = NULL;
 *     if (snn_tensor_from_data(&x, data, 6, shape, 2) != SNN_OK) { puts(snn_last_error()); }
 *     snn_tensor_set_requires_grad(x, true);
 *     snn_tensor_sum(&y, x, NULL, 0, false);      // y = x.sum()
 *     snn_tensor_backward(y, NULL, false);         // x.grad = ones(2, 3)
 *     snn_tensor *g = NULL;
 *     snn_tensor_grad(&g, x);
 *     float out[6];
 *     snn_tensor_copy_data(out, 6, g);
 *     snn_tensor_free(g); snn_tensor_free(y); snn_tensor_free(x);
 *
 * Conventions (they hold for every function unless its comment says otherwise)
 * -----------
 * - Every call that can fail returns snn_status. SNN_OK is 0. On failure, a message naming the
 *   function, the shapes involved and what was expected is available from snn_last_error().
 * - Results come back through the first parameters (out-pointers). On failure an out handle
 *   is set to NULL, so it is always safe to free it.
 * - Handles are opaque. Each function that returns a new handle gives the caller one
 *   reference that must be released with exactly one matching _free. _free(NULL) is a no-op.
 *   Several handles may refer to the same underlying tensor (for example, snn_tensor_grad
 *   returns a new handle to the stored gradient); each is freed separately.
 * - A garbage, freed or wrong-type handle gives SNN_ERR_INVALID_HANDLE; it is never
 *   dereferenced, so it cannot crash the process. NULL where a handle is required gives
 *   SNN_ERR_INVALID_ARGUMENT.
 * - Data crosses as contiguous, row-major buffers that are copied in and copied out (or, with
 *   swiftnn/interop.h, shared: caller memory wrapped, a tensor's pointer lent); shapes
 *   are int64_t arrays. A rank (ndim) is at most SNN_MAX_NDIM. Negative dimension indices
 *   count from the end, as in PyTorch (dim = -1 is the last dimension).
 * - Thread safety: functions may be called from any thread. Distinct handles may be used
 *   concurrently; one tensor must not be modified (backward, optimizer step, set_grad) on one
 *   thread while another thread reads it. Inference on one module from many threads at once
 *   is supported; training it is the caller's to serialise (the contract per handle kind is
 *   in swiftnn/serving.h). Grad mode (snn_no_grad_begin) is per thread.
 * - No argument can abort the host process: every input is validated before any work starts.
 * - Options go by pointer in structs whose first field is struct_size. Fill one with its
 *   snn_<x>_init function (for example snn_conv2d_options_init), which sets struct_size to
 *   sizeof the struct and every field to its default, then change the fields you need.
 *   A struct_size other than this header's sizeof is refused (SNN_ERR_INVALID_ARGUMENT when
 *   smaller, SNN_ERR_UNSUPPORTED when larger: a caller built against a newer header).
 */
#ifndef SWIFTNN_H
#define SWIFTNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version: bumped on any incompatible change. Bindings compare it with snn_abi_version().
 * Changes:
 *   2  Option structs: every one has an snn_<x>_init function that sets struct_size and every
 *      default (the SNN_CONV2D_OPTIONS_INIT and SNN_POOL2D_OPTIONS_INIT macros, the optimizer
 *      options' zero-means-default rule and their literal_zeros field are gone: fields hold
 *      real values); struct_size must equal sizeof. Renamed: snn_fit_classifier ->
 *      snn_classifier_fit, snn_evaluate_classifier -> snn_classifier_evaluate,
 *      snn_charrnn_train -> snn_charrnn_fit (snn_charrnn_train_options ->
 *      snn_charrnn_fit_options), snn_seq2seq_config -> snn_seq2seq_options,
 *      snn_captioner_config -> snn_captioner_get_options. snn_fit_options.report_every and
 *      snn_seq2seq_options.num_layers no longer read 0 as a default.
 *   1  First release. */
#define SNN_ABI_VERSION 2
/* Largest rank a tensor may have. */
#define SNN_MAX_NDIM 16

/* Status codes. Values are fixed; new codes are only appended. */
typedef enum snn_status {
    SNN_OK = 0,
    SNN_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, negative size, bad option value */
    SNN_ERR_INVALID_HANDLE = 2,   /* freed, garbage or wrong-type handle */
    SNN_ERR_SHAPE = 3,            /* shapes or ranks do not agree */
    SNN_ERR_DTYPE = 4,            /* float32 given where int64 expected, or the reverse */
    SNN_ERR_OUT_OF_RANGE = 5,     /* index or dimension out of range */
    SNN_ERR_OUT_OF_MEMORY = 6,    /* allocation failed or size overflows */
    SNN_ERR_IO = 7,               /* file could not be read or written */
    SNN_ERR_FORMAT = 8,           /* corrupt or unsupported file contents */
    SNN_ERR_UNSUPPORTED = 9,      /* valid request the engine does not implement */
    SNN_ERR_AUTOGRAD = 10,        /* backward on a tensor without graph, graph freed, ... */
    SNN_ERR_INTERNAL = 11         /* a bug in SwiftNN: please report the message */
} snn_status;

/* Element types. A bool element is one byte, 0 or 1 (as in PyTorch and NumPy). */
typedef enum snn_dtype {
    SNN_FLOAT32 = 0,
    SNN_INT64 = 1,
    SNN_FLOAT64 = 2,
    SNN_INT32 = 3,
    SNN_UINT8 = 4,
    SNN_BOOL = 5
} snn_dtype;

/* ---- Library information and errors -------------------------------------------------- */

/* The library's version, for example "0.1.0". Static storage; never free it. */
const char *snn_version(void);

/* The ABI version the library was built with (SNN_ABI_VERSION of its header). */
int32_t snn_abi_version(void);

/* A static, human-readable name of a status code ("SNN_ERR_SHAPE"). Never NULL. */
const char *snn_status_string(snn_status status);

/* The message of the last failed call on the calling thread, or "" if none failed yet.
 * Successful calls do not clear it. The string is owned by the library and stays valid until
 * the next failing call on the same thread (or until the thread exits): copy it to keep it. */
const char *snn_last_error(void);

/* Number of live handles of every kind (tensors, modules, ...) in the process. Tests use it
 * to check that every handle was freed. */
snn_status snn_live_handles(int64_t *out_count);

/* Sets the number of threads the engine uses (1 <= n <= 1024; at most 16 work at once). The
 * default is OpenBLAS's own: OPENBLAS_NUM_THREADS if set, else the number of cores. Matrix
 * products use OpenBLAS's threads until a recurrent layer (or the char-RNN sampler) first runs
 * on several workers; from then on the process keeps one pool: OpenBLAS is set to one thread
 * and the engine's workers split the products too, since OpenBLAS's idle threads would spin
 * beside them; products then have the same bits for any number of threads, which OpenBLAS's
 * own threading does not promise. (A host calling OpenBLAS itself can raise its count again
 * with openblas_set_num_threads.) Work the workers split into independent parts (batch rows
 * of a recurrent layer, blocks of a product) is shared in proportion to how fast each worker
 * got through its part of earlier runs, so a core slowed by other load gets less; results do
 * not depend on the split. */
snn_status snn_set_num_threads(int32_t n);

/* The number of threads the engine uses. */
snn_status snn_get_num_threads(int32_t *out_n);

/* CPU kernels: the library needs an x86-64 CPU with AVX2 and FMA (Haswell or later). The
 * recurrent layers' step products (forward and backward) use AVX-512 kernels where the CPU
 * and the OS support them (cpuid and XCR0); the results have the same bits either way.
 * SWIFTNN_NO_AVX512 set in the environment keeps them off; it is read once, at the first
 * recurrent call or snn_cpu_capability, whichever comes first. snn_cpu_capability names the
 * set in use: "AVX512" or "AVX2" ("DEFAULT" off x86-64), as torch.backends.cpu does. Static
 * storage; never free it. */
const char *snn_cpu_capability(void);

/* Freed tensor buffers of 1 MB or more are kept for the next tensor of the same size (a
 * training loop allocates the same large buffers every step; fresh ones cost page faults),
 * up to 256 MB or an eighth of physical memory, the oldest freed first. *out_bytes gets the
 * bytes held now; snn_memory_release_cached returns them all to the system. */
snn_status snn_memory_cached(int64_t *out_bytes);
snn_status snn_memory_release_cached(void);

#include "swiftnn/log.h"
#include "swiftnn/tensor.h"
#include "swiftnn/ops.h"
#include "swiftnn/elementwise.h"
#include "swiftnn/activation.h"
#include "swiftnn/shape.h"
#include "swiftnn/resample.h"
#include "swiftnn/attention.h"
#include "swiftnn/inplace.h"
#include "swiftnn/conv.h"
#include "swiftnn/reduce.h"
#include "swiftnn/compare.h"
#include "swiftnn/select.h"
#include "swiftnn/loss.h"
#include "swiftnn/autograd.h"
#include "swiftnn/nn.h"
#include "swiftnn/layers.h"
#include "swiftnn/norm.h"
#include "swiftnn/optim.h"
#include "swiftnn/data.h"
#include "swiftnn/image.h"
#include "swiftnn/distributed.h"
#include "swiftnn/train.h"
#include "swiftnn/recurrent.h"
#include "swiftnn/onnx.h"
#include "swiftnn/charrnn.h"
#include "swiftnn/caption.h"
#include "swiftnn/seq2seq.h"
#include "swiftnn/interop.h"
#include "swiftnn/serving.h"
#include "swiftnn/zoo.h"
#include "swiftnn/transfer.h"
#include "swiftnn/style.h"
#include "swiftnn/dqn.h"

#ifdef __cplusplus
}
#endif

#endif /* SWIFTNN_H */
