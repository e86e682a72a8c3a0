/* The distributed API from C without mpirun (a one-process group; the MPI runs are in
 * `make test-dist` and bindings/python/tests/test_distributed.py): errors before init, bad
 * options, NULL, freed, garbage and wrong-kind handles, bad reduce ops and roots, the sampler
 * and loader sharding, and the fit loops' ddp option. Runs in a forked child, so a crash
 * fails the test instead of killing it. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPECT(want, name, call) do { \
    snn_status st_ = (call); \
    const char *m_ = snn_last_error(); \
    CHECK(st_ == (want), "%s -> %s, expected %s (%s)", #call, snn_status_string(st_), snn_status_string(want), m_); \
    if ((want) != SNN_OK) CHECK(m_ && strstr(m_, (name)), "%s: message \"%s\" does not name %s", #call, m_, (name)); \
} while (0)

static void checks(void) {
    int64_t base = live_handles(), r = -1, n = -1;
    int64_t shape[2] = {2, 3};
    float data[6] = {1, 2, 3, 4, 5, 6}, back[6];
    snn_tensor *t = NULL, *all = NULL, *freed = NULL, *ints = NULL;
    CHECK_OK(snn_tensor_from_data(&t, data, 6, shape, 2));
    CHECK_OK(snn_tensor_from_data(&freed, data, 6, shape, 2));
    CHECK_OK(snn_tensor_free(freed));
    CHECK_OK(snn_tensor_zeros(&ints, shape, 2));
    snn_tensor *ints64 = NULL;
    CHECK_OK(snn_tensor_to(&ints64, ints, SNN_INT64));
    snn_module *m = NULL, *other = NULL;
    CHECK_OK(snn_module_linear(&m, 3, 2, true));
    CHECK_OK(snn_module_linear(&other, 3, 2, true));
    snn_ddp *ddp = NULL;

    /* before snn_dist_init */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_rank", snn_dist_rank(&r));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "init_process_group", snn_dist_size(&n));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_ddp_new", snn_ddp_new(&ddp, m, NULL));
    CHECK(ddp == NULL, "snn_ddp_new failed but set *out");
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_allreduce", snn_dist_allreduce(t, SNN_REDUCE_SUM));
    bool inited = true;
    CHECK_OK(snn_dist_is_initialized(&inited));
    CHECK(!inited, "initialized before snn_dist_init");

    /* options */
    snn_dist_options o;
    CHECK_OK(snn_dist_options_init(&o));
    CHECK(o.timeout_seconds == 300, "default timeout %g", o.timeout_seconds);
    o.timeout_seconds = -1;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "timeout_seconds", snn_dist_init(&o));
    o.timeout_seconds = NAN;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "timeout_seconds", snn_dist_init(&o));
    o.timeout_seconds = 30;
    o.struct_size = 8;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "struct_size", snn_dist_init(&o));
    o.struct_size = sizeof o;
    CHECK_OK(snn_dist_init(&o));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "already initialized", snn_dist_init(NULL));
    CHECK_OK(snn_dist_rank(&r));
    CHECK_OK(snn_dist_size(&n));
    CHECK(r == 0 && n == 1, "rank %lld size %lld without mpirun, expected 0 and 1", (long long)r, (long long)n);
    char name[8];
    CHECK_OK(snn_dist_backend(name, sizeof name));
    CHECK(!strcmp(name, "local"), "backend %s", name);
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_backend", snn_dist_backend(NULL, 8));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "capacity", snn_dist_backend(name, 0));

    /* collectives */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_allreduce", snn_dist_allreduce(NULL, SNN_REDUCE_SUM));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_dist_allreduce", snn_dist_allreduce(freed, SNN_REDUCE_SUM));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "SNN_REDUCE_MEAN", snn_dist_allreduce(t, (snn_reduce_op)7));
    EXPECT(SNN_ERR_DTYPE, "int64", snn_dist_allreduce(ints64, SNN_REDUCE_MEAN));
    CHECK_OK(snn_dist_allreduce(ints64, SNN_REDUCE_SUM));
    CHECK_OK(snn_dist_allreduce(t, SNN_REDUCE_MEAN));
    CHECK_OK(snn_tensor_copy_data(back, 6, t));
    CHECK(!memcmp(back, data, sizeof data), "the mean over one rank changed the tensor");
    EXPECT(SNN_ERR_OUT_OF_RANGE, "root 1", snn_dist_broadcast(t, 1));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "root -1", snn_dist_broadcast(t, -1));
    CHECK_OK(snn_dist_broadcast(t, 0));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_allgather", snn_dist_allgather(NULL, t));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_dist_allgather", snn_dist_allgather(&all, freed));
    CHECK_OK(snn_dist_allgather(&all, t));
    int64_t got[3] = {0};
    CHECK_OK(snn_tensor_shape(got, 3, all));
    CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3, "allgather shape [%lld, %lld, %lld]", (long long)got[0], (long long)got[1], (long long)got[2]);
    CHECK_OK(snn_dist_barrier());

    /* DistributedDataParallel */
    snn_ddp_options dopt;
    CHECK_OK(snn_ddp_options_init(&dopt));
    CHECK(dopt.bucket_cap_mb == 25 && !dopt.sync_batchnorm && !dopt.deterministic, "ddp defaults %g %d %d",
          dopt.bucket_cap_mb, dopt.sync_batchnorm, dopt.deterministic);
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_ddp_new", snn_ddp_new(&ddp, NULL, NULL));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_ddp_new", snn_ddp_new(&ddp, (snn_module *)t, NULL));
    dopt.bucket_cap_mb = 0;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "bucket_cap_mb", snn_ddp_new(&ddp, m, &dopt));
    dopt.bucket_cap_mb = NAN;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "bucket_cap_mb", snn_ddp_new(&ddp, m, &dopt));
    dopt.bucket_cap_mb = 1e-5;  /* 10 bytes: weight and bias in buckets of their own */
    CHECK_OK(snn_ddp_new(&ddp, m, &dopt));
    size_t nb = 0;
    int64_t sizes[4] = {0};
    CHECK_OK(snn_ddp_buckets(&nb, sizes, 4, ddp));
    CHECK(nb == 2 && sizes[0] == 8 && sizes[1] == 24, "buckets %zu: %lld %lld (bias first, then weight)", nb, (long long)sizes[0], (long long)sizes[1]);
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "sizes", snn_ddp_buckets(&nb, NULL, 4, ddp));
    CHECK_OK(snn_ddp_set_require_sync(ddp, false));
    CHECK_OK(snn_ddp_synchronize(ddp));
    snn_ddp_trace tr;
    CHECK_OK(snn_ddp_last_trace(&tr, ddp));
    CHECK(tr.struct_size == sizeof tr && tr.buckets == 0, "trace of no step: %lld buckets", (long long)tr.buckets);
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_ddp_synchronize", snn_ddp_synchronize((snn_ddp *)t));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_ddp_set_require_sync", snn_ddp_set_require_sync((snn_ddp *)(uintptr_t)0x1234, true));

    /* the fit loops' ddp option */
    snn_tensor *x = NULL, *y = NULL;
    float xs[12] = {0};
    int64_t xshape[2] = {4, 3}, yshape[1] = {4};
    CHECK_OK(snn_tensor_from_data(&x, xs, 12, xshape, 2));
    CHECK_OK(snn_tensor_zeros(&y, yshape, 1));
    snn_tensor *y64 = NULL;
    CHECK_OK(snn_tensor_to(&y64, y, SNN_INT64));
    snn_dataloader *dl = NULL;
    CHECK_OK(snn_dataloader_new(&dl, x, y64, 2, true, 1, false));
    size_t np = 0;
    snn_tensor *params[2] = {NULL, NULL};
    CHECK_OK(snn_module_parameters(params, 2, &np, other));
    snn_sgd_options so;
    CHECK_OK(snn_sgd_options_init(&so));
    snn_optimizer *opt = NULL;
    CHECK_OK(snn_optimizer_sgd(&opt, params, np, &so));
    snn_fit_options fo;
    CHECK_OK(snn_fit_options_init(&fo));
    CHECK(fo.ddp == NULL, "snn_fit_options_init left ddp set");
    fo.ddp = (snn_ddp *)t;
    EXPECT(SNN_ERR_INVALID_HANDLE, "options->ddp", snn_classifier_fit(other, opt, dl, &fo));
    fo.ddp = ddp;  /* wraps m, not other */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "another module", snn_classifier_fit(other, opt, dl, &fo));

    /* the fit loops' checkpoint options (the MPI runs: Tests/dist/fit_ddp.c) */
    fo.ddp = NULL;
    CHECK(fo.checkpoint_path == NULL && fo.checkpoint_every == 0, "snn_fit_options_init set a checkpoint");
    fo.checkpoint_every = -1;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "checkpoint_every", snn_classifier_fit(other, opt, dl, &fo));
    fo.checkpoint_every = 2;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "checkpoint_path is NULL", snn_classifier_fit(other, opt, dl, &fo));
    fo.checkpoint_path = "";
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "checkpoint_path is empty", snn_classifier_fit(other, opt, dl, &fo));
    char ckpt[] = "/tmp/snn-test-ckpt-XXXXXX";
    int fd = mkstemp(ckpt);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    fo.checkpoint_path = ckpt;
    fo.checkpoint_every = 1;
    CHECK_OK(snn_classifier_fit(other, opt, dl, &fo));  /* 2 steps: written at 1 and 2 */
    snn_module *loaded = NULL;
    CHECK_OK(snn_module_load(&loaded, ckpt));
    snn_tensor *lp[2] = {NULL, NULL};
    size_t nl = 0;
    CHECK_OK(snn_module_parameters(lp, 2, &nl, loaded));
    float saved[6], live[6];
    CHECK(nl == 2, "the checkpoint has %zu parameters", nl);
    CHECK_OK(snn_tensor_copy_data(saved, 6, lp[0]));
    CHECK_OK(snn_tensor_copy_data(live, 6, params[0]));
    CHECK(!memcmp(saved, live, sizeof saved), "the checkpoint does not hold the trained weights");
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", ckpt);
    CHECK(access(tmp, F_OK) != 0, "%s was left behind", tmp);
    for (size_t i = 0; i < nl; i++) snn_tensor_free(lp[i]);
    snn_module_free(loaded);
    unlink(ckpt);
    fo.checkpoint_path = NULL;
    fo.checkpoint_every = 0;

    /* the deterministic order and SyncBatchNorm on one process */
    snn_ddp *det = NULL;
    dopt.deterministic = true;
    CHECK_OK(snn_ddp_new(&det, other, &dopt));
    CHECK_OK(snn_ddp_free(det));
    snn_module *sbn = NULL;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_module_sync_batch_norm", snn_module_sync_batch_norm(NULL, 3, 1e-5, 0.1, true, true));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "num_features", snn_module_sync_batch_norm(&sbn, 0, 1e-5, 0.1, true, true));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "eps", snn_module_sync_batch_norm(&sbn, 3, 0, 0.1, true, true));
    CHECK(sbn == NULL, "a failed snn_module_sync_batch_norm set *out");
    CHECK_OK(snn_module_sync_batch_norm(&sbn, 3, 1e-5, 0.1, true, true));
    char type[32];
    size_t tl = 0;
    CHECK_OK(snn_module_type(type, sizeof type, &tl, sbn));
    CHECK(!strcmp(type, "SyncBatchNorm"), "type %s", type);
    snn_tensor *bn_out = NULL;
    CHECK_OK(snn_module_forward(&bn_out, sbn, x));  /* [4, 3]: any [N, C, *] input */
    CHECK_OK(snn_tensor_free(bn_out));
    snn_module_free(sbn);

    /* sampler and sharding */
    int64_t idx[8];
    size_t count = 0;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "Invalid rank 3", snn_dist_sampler_indices(idx, 8, &count, 10, 3, 3, true, 0, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "out is NULL", snn_dist_sampler_indices(NULL, 8, &count, 10, 3, 0, true, 0, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_sampler_indices", snn_dist_sampler_indices(idx, 8, NULL, 10, 3, 0, true, 0, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "dataset size", snn_dist_sampler_indices(idx, 8, &count, (int64_t)1 << 40, 3, 0, true, 0, 0, false));
    /* torch.utils.data.DistributedSampler(range(10), 3, 1, seed=0) at epoch 0 (PyTorch 2.13) */
    static const int64_t torch_rank1[4] = {1, 3, 8, 4};
    CHECK_OK(snn_dist_sampler_indices(idx, 8, &count, 10, 3, 1, true, 0, 0, false));
    CHECK(count == 4 && !memcmp(idx, torch_rank1, sizeof torch_rank1), "rank 1 of 3: %zu indices %lld %lld %lld %lld",
          count, (long long)idx[0], (long long)idx[1], (long long)idx[2], (long long)idx[3]);
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dataloader_shard", snn_dataloader_shard(dl, 2, 2));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_dataloader_shard", snn_dataloader_shard((snn_dataloader *)t, 2, 0));
    CHECK_OK(snn_dataloader_shard(dl, 2, 1));
    size_t batches = 0;
    CHECK_OK(snn_dataloader_len(&batches, dl));
    CHECK(batches == 1, "a 4-sample loader sharded over 2 ranks in batches of 2: %zu batches", batches);

    /* end */
    CHECK_OK(snn_ddp_free(ddp));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_ddp_free", snn_ddp_free(ddp));
    CHECK_OK(snn_dist_finalize());
    CHECK_OK(snn_dist_finalize());  /* no-op when not initialized */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_dist_rank", snn_dist_rank(&r));
    for (size_t i = 0; i < np; i++) snn_tensor_free(params[i]);
    snn_optimizer_free(opt); snn_dataloader_free(dl);
    snn_tensor_free(x); snn_tensor_free(y); snn_tensor_free(y64);
    snn_tensor_free(t); snn_tensor_free(all); snn_tensor_free(ints); snn_tensor_free(ints64);
    snn_module_free(m); snn_module_free(other);
    CHECK(live_handles() == base, "%lld handles leaked", (long long)(live_handles() - base));
}

int main(void) {
    unsetenv("OMPI_COMM_WORLD_SIZE");  /* a one-process group even if run under mpirun */
    unsetenv("PMIX_RANK");
    unsetenv("PMI_RANK");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        checks();
        int rc = report("test_distributed");
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) {
        printf("test_distributed: the child died (signal %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return 1;
    }
    return WEXITSTATUS(status);
}
