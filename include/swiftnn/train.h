/*
 * swiftnn/train.h -- training loops with progress reports, and evaluation.
 * Included by swiftnn.h.
 *
 * snn_classifier_fit runs the whole loop in the engine: for each batch of the data loader,
 * forward, mean cross-entropy, backward, optimizer step; after each epoch the optional
 * scheduler steps. A progress callback receives epoch, step, loss, throughput and ETA every
 * `report_every` steps and at the end of each epoch, so a host can draw a progress bar
 * without writing the loop (and keep stderr clean: the engine prints nothing).
 */

/* What the progress callback receives. Times in seconds. */
typedef struct snn_progress {
    size_t struct_size;          /* sizeof(snn_progress) of the library: check >= what you read */
    int64_t epoch;               /* 1-based */
    int64_t epochs;
    int64_t step;                /* 1-based within the epoch */
    int64_t steps_per_epoch;
    int64_t global_step;
    double loss;                 /* mean training loss over the steps since the last report */
    double samples_per_second;   /* over the steps since the last report */
    double elapsed_seconds;
    double eta_seconds;          /* estimated time to the end of the last epoch */
    double learning_rate;        /* of parameter group 0 */
    bool end_of_epoch;
} snn_progress;

/* Called on the training thread. Return true to go on, false to stop training early
 * (the _fit call then returns SNN_OK). Must not call back into the same model. */
typedef bool (*snn_progress_fn)(const snn_progress *progress, void *user_data);

/* Options of every _fit call (snn_classifier_fit, snn_captioner_fit, snn_seq2seq_fit). Fill
 * with snn_fit_options_init, then change fields. */
typedef struct snn_fit_options {
    size_t struct_size;              /* sizeof(snn_fit_options) */
    int64_t epochs;                  /* 1...1000000, default 1 */
    int64_t report_every;            /* steps between progress calls, >= 1, default 50 */
    snn_progress_fn progress;        /* may be NULL */
    void *user_data;                 /* passed to progress */
    snn_lr_scheduler *scheduler;     /* may be NULL; stepped after every epoch (not a
                                        ReduceLROnPlateau, which needs a metric:
                                        SNN_ERR_INVALID_ARGUMENT) */
    double *loss_history;            /* may be NULL; receives each step's loss ... */
    size_t loss_history_capacity;    /* ... up to this many */
    size_t *loss_history_count;      /* may be NULL; receives the number of steps run */
    snn_ddp *ddp;                    /* may be NULL; data-parallel training over this snn_ddp's
                                      * ranks (swiftnn/distributed.h): the loader is sharded,
                                      * progress runs on rank 0 with the global samples/s and
                                      * the ranks' mean loss, only rank 0 writes checkpoints */
    const char *checkpoint_path;     /* may be NULL (no checkpoints); copied, need only live
                                      * through the call. The model (snn_module_save's format,
                                      * so snn_module_load / snn_module_load_state read it) is
                                      * written there every checkpoint_every steps and when
                                      * training ends, atomically: into checkpoint_path ".tmp",
                                      * then renamed over checkpoint_path, so a reader or a
                                      * crash never sees a torn file. Under ddp only rank 0
                                      * writes (the weights are the same on every rank); a
                                      * rank-0 failure to write fails rank 0's call. */
    int64_t checkpoint_every;        /* steps between checkpoints, >= 0; 0 (default): none,
                                      * even with a path; > 0 needs checkpoint_path */
} snn_fit_options;

/* Sets struct_size and the defaults: 1 epoch, a report every 50 steps, every pointer NULL, no
 * checkpoints. */
snn_status snn_fit_options_init(snn_fit_options *options);

/* Trains a classifier: model(inputs) gives logits [B, C], targets are int64 class indices [B]
 * from the data loader. The model is put in training mode. A non-finite loss stops training
 * with SNN_ERR_AUTOGRAD and a message suggesting a lower learning rate. A data loader with no
 * batch (no samples, or fewer than batch_size with drop_last) is SNN_ERR_INVALID_ARGUMENT. */
snn_status snn_classifier_fit(snn_module *model, snn_optimizer *optimizer, snn_dataloader *train,
                              const snn_fit_options *options);

/* Mean cross-entropy and accuracy (fraction correct, 0..1) of model on inputs [N, ...] and
 * int64 labels [N], in batches of batch_size, in eval mode without recording (the model's
 * mode is restored afterwards). Either out-pointer may be NULL. */
snn_status snn_classifier_evaluate(double *out_loss, double *out_accuracy, snn_module *model,
                                   const snn_tensor *inputs, const snn_tensor *labels, size_t batch_size);
