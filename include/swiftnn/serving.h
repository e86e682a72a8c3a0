/*
 * swiftnn/serving.h -- running models inside servers: the concurrency contract, sessions with
 * their own thread count, checkpoints loaded by memory mapping or from a buffer, and fork().
 * Included by swiftnn.h. The reasoning and the measurements are in docs/concurrency.md.
 *
 * Concurrency contract
 * --------------------
 * - Inference on one module from any number of threads at once is supported: once a module is
 *   in eval mode (snn_module_train(m, false)) and nothing modifies it, snn_module_forward,
 *   snn_module_forward_multi, snn_session_module_forward, snn_seq2seq_greedy/_beam/_score and
 *   the forward of an imported ONNX model (snn_onnx_load) may run on one module from many
 *   threads at the same time, with the same bits as one thread alone. Record nothing while
 *   doing so: call snn_no_grad_begin on each inference thread (grad mode is per thread); a
 *   forward that records a graph is also safe, but a backward through it is training.
 * - Training is the caller's to serialise: snn_module_train, snn_module_set_requires_grad,
 *   load_state_dict / load_weights, backward through the module, optimizer steps, in-place
 *   ops on parameters and snn_classifier_fit-style loops change the module, and must not
 *   overlap with any other call that reads the same module (or its parameter tensors) on
 *   another thread. Hold a read-write lock per model if a server both trains and serves.
 * - Per handle kind: snn_tensor: any number of concurrent readers; a writer (in-place op,
 *   set_grad, backward into it) excludes everything else on that tensor. snn_module: as
 *   above. snn_tensor_map: concurrent reads; set and set_metadata exclude other calls.
 *   snn_optimizer: calls serialise on its lock (optim.h). snn_dataloader: thread-safe
 *   (data.h). snn_onnx_trace: the thread that began it only. snn_session: immutable, any
 *   number of threads may use one at once. Creating and freeing handles of any kind is
 *   thread-safe (one locked registry).
 * - Process-wide state is synchronised: the handle registry, the buffer cache, the packed
 *   copies of strided views, the random generator, the engine's thread pool, snn_set_num_threads
 *   and every lazily initialised table. Grad mode, the last error and the bound session are
 *   per thread.
 * - Bit-identical results: the engine's products and recurrent steps give the same bits for any
 *   thread count once the engine runs one pool (below). Before that, matrix products use
 *   OpenBLAS's own threads, whose results are deterministic for a fixed OpenBLAS thread count
 *   but differ from one thread's in the last bits. The switch happens once per process, at the
 *   first snn_session_create or the first recurrent layer run on several workers: make it
 *   before starting concurrent inference if results must agree bitwise across it.
 */

/* ---- sessions ---------------------------------------------------------------------------
 *
 * A session is a thread budget for the calls of one model: a server running many small models
 * gives each request's thread a session of 1 thread, so that N concurrent requests use N
 * cores instead of N times the engine's threads. Modelled on ONNX Runtime's
 * SessionOptions.intra_op_num_threads with its global thread pool (DisablePerSessionThreads):
 * the helper threads are one pool for the process; a session caps how many of them one call may
 * use. A call that finds the pool busy (another call is using it) runs on its own thread alone,
 * so the process never runs more than (calling threads + the pool's helpers) threads, and results
 * do not depend on which happened.
 *
 * Creating the first session switches the engine to one pool (OpenBLAS single-threaded, products
 * split by the engine's workers), since OpenBLAS has only a process-wide thread count.
 * snn_set_num_threads keeps setting the count of threads without a bound session.
 *
 *     snn_session_options o;
 *     snn_session_options_init(&o);        // num_threads = 1
 *     snn_session *s = NULL;
 *     snn_session_create(&s, &o);          // once, at start-up
 *     ...on any request thread:
 *     snn_session_module_forward(&y, s, model, x);
 *     ...or, around several calls (decoders, tensor ops):
 *     snn_session_enter(s); snn_seq2seq_beam(...); snn_session_exit(s);
 *
 * Thread safety: a session is immutable; any number of threads may use one at once.
 */

typedef struct snn_session snn_session;

typedef struct snn_session_options {
    size_t struct_size;   /* sizeof(snn_session_options) */
    int32_t num_threads;  /* 1..1024 threads a call may use, the calling thread included (default 1) */
} snn_session_options;

/* Sets struct_size and the defaults: one thread. */
snn_status snn_session_options_init(snn_session_options *options);

/* A new session (options NULL: the defaults). Free with snn_session_free once no thread has it
 * bound (snn_session_exit needs the handle). Errors: SNN_ERR_INVALID_ARGUMENT (num_threads out
 * of range, struct_size). */
snn_status snn_session_create(snn_session **out, const snn_session_options *options);

/* Releases a session handle; NULL is a no-op. */
snn_status snn_session_free(snn_session *s);

/* The session's thread count. */
snn_status snn_session_num_threads(int32_t *out_n, const snn_session *s);

/* Binds the session to the calling thread: every engine call on this thread until the
 * matching snn_session_exit uses the session's thread count (snn_get_num_threads reports it).
 * Nestable: the innermost binding counts. */
snn_status snn_session_enter(snn_session *s);

/* Unbinds s from the calling thread. SNN_ERR_INVALID_ARGUMENT if s is not the innermost
 * session bound to this thread (exits must mirror enters). */
snn_status snn_session_exit(snn_session *s);

/* out = m(input) (as snn_module_forward) with s bound to the calling thread for the call. */
snn_status snn_session_module_forward(snn_tensor **out, snn_session *s, snn_module *m, const snn_tensor *input);

/* ---- loading: memory-mapped files and buffers -------------------------------------------
 *
 * With mmap, a safetensors file is mapped (mmap MAP_PRIVATE) instead of read: the tensors view
 * the file's pages, which the kernel shares between every process that maps the same file and
 * reads from disk only when touched, so loading takes milliseconds whatever the size and N
 * server processes hold one copy of the weights. Writing to a mapped tensor (training, an
 * in-place op, an optimizer step) gives the writing process a private copy of each page it
 * writes (copy-on-write): the file is never modified and nothing faults. A tensor whose data is
 * not aligned to its element size in the file (possible in files other writers produce) is
 * copied instead. The file must not be truncated or rewritten in place while mapped tensors
 * live (SIGBUS on access); snn_module_save writes a new file and renames it, which is safe.
 * The mapping is released when the last tensor over it is freed.
 */

typedef struct snn_load_options {
    size_t struct_size;  /* sizeof(snn_load_options) */
    bool mmap;           /* map the file instead of reading it (default false, as torch.load) */
} snn_load_options;

/* Sets struct_size and the defaults: mmap off. */
snn_status snn_load_options_init(snn_load_options *options);

/* snn_module_load with options (NULL: the defaults). With mmap, the rebuilt module's
 * parameters and buffers use the mapped file's memory. Errors as snn_module_load. */
snn_status snn_module_load_ex(snn_module **out, const char *path, const snn_load_options *options);

/* Rebuilds a model from the bytes of a checkpoint held in memory (a file written by
 * snn_module_save, received over a network or embedded in the program): size bytes at data.
 * The weights are copied; data may be freed as soon as the call returns. Errors as
 * snn_module_load (SNN_ERR_FORMAT for malformed data), SNN_ERR_INVALID_ARGUMENT for data NULL
 * with size > 0. */
snn_status snn_module_load_buffer(snn_module **out, const void *data, size_t size);

/* snn_tensor_map_load with options (NULL: the defaults); with mmap the tensors view the file. */
snn_status snn_tensor_map_load_ex(snn_tensor_map **out, const char *path, const snn_load_options *options);

/* A safetensors file's tensors from size bytes at data (copied; data may be freed after). */
snn_status snn_tensor_map_load_buffer(snn_tensor_map **out, const void *data, size_t size);

/* ---- fork() -------------------------------------------------------------------------------
 *
 * A process may fork after the library has started its threads (a pre-forking server loads its
 * model, warms it up on several threads, then forks workers): the child has only the forking
 * thread, and the library's fork handlers (pthread_atfork) forget the engine's helper threads
 * in the child, which starts new ones at its first call that needs them; OpenBLAS does the
 * same for its own pool. The child needs no call before its first inference, and mapped
 * weights stay shared with the parent. The rule: fork only while no other thread is inside a
 * SwiftNN call (the library's locks are not taken over by the child; a lock held by another
 * thread at the moment of fork would stay held in the child). Handles created before the fork
 * are valid in the child, as copies.
 */
