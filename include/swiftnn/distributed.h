/*
 * swiftnn/distributed.h -- data-parallel training across processes and machines on Open MPI.
 * Included by swiftnn.h.
 *
 * Start N copies of a program with mpirun; each calls snn_dist_init, wraps its model with
 * snn_ddp_new and trains on its share of the data:
 *
 *     mpirun -np 2 ./build/examples/lenet5 --distributed
 *     mpirun -np 2 --hostfile hosts ./train            (hosts: "10.0.0.1 slots=1\n10.0.0.2 slots=1")
 *
 *     snn_dist_options o; snn_dist_options_init(&o);
 *     snn_dist_init(&o);                          // rank/size from mpirun; 1 process without it
 *     snn_ddp *ddp; snn_ddp_new(&ddp, model, NULL);  // rank 0's weights copied to every rank
 *     snn_dataloader_shard(loader, size, rank);   // this rank's DistributedSampler share
 *     fit_options.ddp = ddp;                       // gradients averaged after each backward
 *     snn_classifier_fit(model, opt, loader, &fit_options);
 *     snn_ddp_free(ddp); snn_dist_finalize();
 *
 * Open MPI is loaded at run time (dlopen of libmpi.so.40, or the file SWIFTNN_MPI_LIBRARY
 * names): libswiftnn.so does not depend on it. A process not started by mpirun (none of
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK set) gets a one-process group and MPI is not
 * loaded; one started by mpirun whose libmpi cannot be loaded gets SNN_ERR_UNSUPPORTED naming
 * the file and the package to install. As root, mpirun refuses to start unless given
 * --allow-run-as-root or OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the
 * environment: the library never sets them.
 *
 * Threads: MPI is called from one communication thread the library starts at snn_dist_init;
 * the functions below may be called from any thread, and collectives queue in call order.
 * Every rank must call the same collectives in the same order (as with MPI).
 *
 * Faults: every collective waits at most options->timeout_seconds for the other ranks, then
 * fails with SNN_ERR_IO ("rank 0 of 2: MPI_Allreduce ... timed out after 30 s waiting for the
 * other ranks: a rank died, hangs, ..."), and every later collective fails at once, because
 * MPI's state is then unknown. Open MPI's own behaviour comes first when a rank process dies:
 * mpirun notices the exit and kills the remaining ranks (SIGTERM, then SIGKILL), printing which
 * rank exited and how; the timeout covers a rank that hangs or never reaches the collective.
 * MPI errors are returned (MPI_ERRORS_RETURN), never abort the process from the library.
 */

/* How snn_dist_allreduce combines the ranks' tensors (torch.distributed.ReduceOp). */
typedef enum snn_reduce_op {
    SNN_REDUCE_SUM = 0,
    SNN_REDUCE_MEAN = 1   /* the sum divided by the number of ranks (ReduceOp.AVG) */
} snn_reduce_op;

/* Options of snn_dist_init. */
typedef struct snn_dist_options {
    size_t struct_size;        /* sizeof(snn_dist_options) */
    double timeout_seconds;    /* longest wait of one collective for the other ranks; default 300 */
} snn_dist_options;

/* Sets struct_size and the defaults (timeout 300 s). */
snn_status snn_dist_options_init(snn_dist_options *options);

/* Creates the process group (one per process): MPI_Init_thread and COMM_WORLD when started by
 * mpirun, else one process of rank 0. options may be NULL (the defaults). Errors:
 * SNN_ERR_INVALID_ARGUMENT when already initialized or timeout_seconds <= 0;
 * SNN_ERR_UNSUPPORTED when libmpi cannot be loaded (message names the file and the package)
 * or MPI was finalized before (MPI allows one initialisation per process); SNN_ERR_IO when
 * MPI fails. */
snn_status snn_dist_init(const snn_dist_options *options);

/* Whether snn_dist_init succeeded and snn_dist_finalize was not called since. */
snn_status snn_dist_is_initialized(bool *out_initialized);

/* This process's rank (0 ... size-1) and the number of ranks. SNN_ERR_INVALID_ARGUMENT
 * before snn_dist_init. */
snn_status snn_dist_rank(int64_t *out_rank);
snn_status snn_dist_size(int64_t *out_size);

/* Writes "mpi" or "local" (one process, MPI not loaded) and its terminating NUL into buf
 * (capacity bytes; the name is cut to fit). */
snn_status snn_dist_backend(char *buf, size_t capacity);

/* Replaces t, on every rank, by the sum (or mean) of all ranks' t. float32 or float64
 * (int64 with SNN_REDUCE_SUM); the ranks' shapes must agree (not checked: MPI's rule). */
snn_status snn_dist_allreduce(snn_tensor *t, snn_reduce_op op);

/* Copies rank root's t into t on every other rank. The ranks' dtypes and shapes are first
 * compared with the root's: a mismatch is SNN_ERR_SHAPE on every rank, naming both. */
snn_status snn_dist_broadcast(snn_tensor *t, int64_t root);

/* *out = every rank's t stacked along a new first dimension ([size, *shape], rank order).
 * Shapes and dtypes must agree (checked as in snn_dist_broadcast). */
snn_status snn_dist_allgather(snn_tensor **out, const snn_tensor *t);

/* Returns when every rank has called it. */
snn_status snn_dist_barrier(void);

/* Ends the group: MPI_Finalize on the communication thread (it waits for the other ranks).
 * No-op when not initialized. After it, snn_dist_init succeeds again only if MPI was never
 * loaded. A process that exits without it has it run by an atexit handler (mpirun reports a
 * rank that exits without finalizing as a failure). */
snn_status snn_dist_finalize(void);

/* ---- Data-parallel training (torch.nn.parallel.DistributedDataParallel) ------------------ */

typedef struct snn_ddp snn_ddp;

typedef struct snn_ddp_options {
    size_t struct_size;      /* sizeof(snn_ddp_options) */
    double bucket_cap_mb;    /* gradient bucket size in MB (2^20 bytes), > 0; default 25 */
    bool sync_batchnorm;     /* snn_ddp_new: make the module's BatchNorm layers SyncBatchNorm
                              * (snn_module_set_sync_batchnorm); default false: local
                              * statistics, PyTorch's default */
    bool deterministic;      /* default false: each bucket is summed by MPI_Allreduce, whose
                              * order of additions is Open MPI's choice (it can change with the
                              * message size, the rank count and the transport, and ranks can
                              * end with gradients a rounding apart). true: every rank gathers
                              * all ranks' bucket (MPI_Allgather) and adds them in rank order,
                              * ((g_0 + g_1) + g_2) + ..., each g_r already divided by the
                              * number of ranks; every rank and every run then get bit-for-bit
                              * the same gradients: exactly those of one process that computes
                              * each rank's share of the batch, divides by the number of ranks
                              * and adds them in that order. It is not bit-for-bit one process
                              * with the whole batch (that sums in another order): equal within
                              * rounding. Costs (ranks - 1) x more traffic and ranks x the
                              * bucket in memory (see docs/distributed.md for the measured
                              * cost). */
} snn_ddp_options;

/* Sets struct_size and the defaults (25 MB buckets, as PyTorch; local BatchNorm; MPI's
 * reduction order). */
snn_status snn_ddp_options_init(snn_ddp_options *options);

/* Makes module data-parallel over the process group (snn_dist_init first; options may be
 * NULL). Collective: every rank must call it. It first checks that every rank's module has the
 * same parameter and buffer names, shapes and dtypes as rank 0's (SNN_ERR_SHAPE on every rank
 * otherwise; the differing rank's message names the parameter and both shapes), then copies
 * rank 0's parameters and buffers to every rank. From then on each backward through the
 * module's parameters queues the allreduce of a bucket of gradients as soon as the bucket's
 * last gradient is accumulated, on the communication thread, while backward goes on;
 * snn_ddp_synchronize, after backward, waits for them and writes the mean gradient over the
 * ranks into each parameter's grad; backward itself runs it before returning, as PyTorch's DDP
 * does, so a plain snn_tensor_backward leaves averaged gradients. The handle keeps the module
 * alive; free it before the next snn_ddp_new over the same module. */
snn_status snn_ddp_new(snn_ddp **out, snn_module *module, const snn_ddp_options *options);

/* The same over a list of tensors instead of a module (the Python binding's
 * DistributedDataParallel uses it): all count tensors are checked and copied from rank 0;
 * those that require grad get their gradients averaged. names (may be NULL) name them in
 * messages. The tensors are kept alive by the handle. */
snn_status snn_ddp_new_tensors(snn_ddp **out, snn_tensor *const *tensors, const char *const *names, size_t count,
                               const snn_ddp_options *options);

/* Waits for every bucket's allreduce and writes the averaged gradients (backward already
 * did; this is then a no-op).
 * Parameters that got no gradient this step contribute zeros (and get the mean of the
 * others'). A no-op while require_sync is false, and on one rank. */
snn_status snn_ddp_synchronize(snn_ddp *ddp);

/* require_sync false is DistributedDataParallel.no_sync(): backward passes only accumulate
 * local gradients; the first synchronised backward after it averages the accumulated sum. */
snn_status snn_ddp_set_require_sync(snn_ddp *ddp, bool require_sync);

/* Number of gradient buckets, and (if sizes is not NULL) up to capacity sizes in bytes. */
snn_status snn_ddp_buckets(size_t *out_count, int64_t *sizes, size_t capacity, const snn_ddp *ddp);

/* Timings of the last synchronised step, in seconds, to see how much communication backward
 * hid: allreduce = total time of the buckets' allreduces on the communication thread; hidden
 * = the part of it that ran before backward returned; exposed_wait = how long
 * snn_ddp_synchronize waited after backward. */
typedef struct snn_ddp_trace {
    size_t struct_size;      /* sizeof(snn_ddp_trace) */
    double allreduce_seconds;
    double hidden_seconds;
    double exposed_wait_seconds;
    int64_t buckets;
} snn_ddp_trace;
snn_status snn_ddp_last_trace(snn_ddp_trace *out, const snn_ddp *ddp);

snn_status snn_ddp_free(snn_ddp *ddp);

/* SyncBatchNorm (torch.nn.SyncBatchNorm.convert_sync_batchnorm): with on, every BatchNorm layer
 * in m normalises in training with the mean and variance of the global batch (all ranks'
 * inputs; two allreduces forward and two backward), so N ranks with batch B/N give what one
 * process gives with batch B; the running statistics follow the global ones. Every rank must
 * run the same forward and backward passes. on = false restores local statistics. Needs
 * snn_dist_init when on. */
snn_status snn_module_set_sync_batchnorm(snn_module *m, bool on);

/* torch.nn.SyncBatchNorm(num_features, eps, momentum, affine, track_running_stats): a new
 * BatchNorm layer (parameters weight, bias; buffers running_mean, running_var,
 * num_batches_tracked) over C of any [N, C, *] input that in training normalises with the
 * global batch's statistics whenever snn_dist_init has made a group of several ranks, whatever
 * snn_module_set_sync_batchnorm says; before snn_dist_init, on one rank and in eval mode it is
 * plain BatchNorm (PyTorch falls back the same way). Saved and loaded as type
 * "SyncBatchNorm". Errors: SNN_ERR_INVALID_ARGUMENT (num_features < 1, eps <= 0, momentum
 * outside [0, 1], NULL out). Free with snn_module_free. */
snn_status snn_module_sync_batch_norm(snn_module **out, int64_t num_features, double eps, double momentum,
                                      bool affine, bool track_running_stats);

/* ---- Sharding the data (torch.utils.data.DistributedSampler) ------------------------------ */

/* The indices rank `rank` of num_replicas visits in epoch `epoch` of a dataset of
 * dataset_size samples, exactly as torch's DistributedSampler(num_replicas, rank, shuffle,
 * seed, drop_last) after set_epoch(epoch): torch.randperm(dataset_size) from a generator
 * seeded with seed + epoch when shuffle (else 0, 1, ...), padded by repeating its start to a
 * multiple of num_replicas (cut to one when drop_last), then every num_replicas-th index from
 * rank. *out_count gets the number of indices; up to capacity are written to out (may be NULL
 * when capacity is 0). dataset_size must be below 2^32 / 20. */
snn_status snn_dist_sampler_indices(int64_t *out, size_t capacity, size_t *out_count, int64_t dataset_size,
                                    int64_t num_replicas, int64_t rank, bool shuffle, uint64_t seed,
                                    int64_t epoch, bool drop_last);

/* From now on dl visits only rank's share of each epoch, in DistributedSampler's order for the
 * loader's seed and epoch (shuffled only if the loader shuffles); batch_size stays per rank,
 * so the global batch is batch_size * num_replicas. Restarts the current epoch. */
snn_status snn_dataloader_shard(snn_dataloader *dl, int64_t num_replicas, int64_t rank);
