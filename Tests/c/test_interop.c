/* Handles that copy and memory shared without copying, through C: second handles (_ref) that
 * keep the object alive until the last one is freed, modules rebuilt from their architecture,
 * caller memory wrapped with a release callback that runs exactly once (after the last handle,
 * view and graph reference), misaligned caller memory giving the same conv and matmul results,
 * the lent data pointer, read-only memory, DLPack both ways (a caller's own copy of the
 * DLPack structs, as a user of dlpack.h has), and bad input: clear errors, no release on
 * failure, no leaked handle. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static int g_released[16];
static void release(void *ctx) { g_released[(intptr_t)ctx]++; }

/* A failing call: expected status, out still NULL, the function's name and `word` in the message. */
#define FAILS(STATUS, OUT, NAME, WORD, CALL) do { \
    snn_status st_ = (CALL); \
    CHECK(st_ == (STATUS), "%s -> %s, expected %s (%s)", #CALL, snn_status_string(st_), snn_status_string(STATUS), snn_last_error()); \
    CHECK((OUT) == NULL, "%s left a handle in its out-pointer", #CALL); \
    CHECK(strstr(snn_last_error(), NAME) && strstr(snn_last_error(), WORD), "%s: message '%s' lacks '%s' or '%s'", \
          #CALL, snn_last_error(), NAME, WORD); \
} while (0)

static float first(snn_tensor *t) {
    float v[64] = {0};
    CHECK_OK(snn_tensor_copy_data(v, 64, t));
    return v[0];
}

static void refs(void) {
    int64_t base = live_handles();
    int64_t shape[1] = {3};
    float data[3] = {1, 2, 3};
    snn_tensor *a = NULL, *b = NULL;
    CHECK_OK(snn_tensor_from_data(&a, data, 3, shape, 1));
    CHECK_OK(snn_tensor_ref(&b, a));
    CHECK(a != b, "a second handle is a new token");
    CHECK(live_handles() == base + 2, "two live handles");
    /* the same tensor: requires_grad set through one is seen through the other */
    CHECK_OK(snn_tensor_set_requires_grad(a, true));
    bool rg = false;
    CHECK_OK(snn_tensor_requires_grad(&rg, b));
    CHECK(rg, "the second handle sees requires_grad");
    CHECK_OK(snn_tensor_free(a));
    CHECK(first(b) == 1.0f, "the tensor lives while the second handle does");
    CHECK(snn_tensor_free(a) == SNN_ERR_INVALID_HANDLE, "each handle is freed once");
    CHECK_OK(snn_tensor_free(b));
    CHECK(live_handles() == base, "both handles freed");

    snn_module *m = NULL, *m2 = NULL;
    CHECK_OK(snn_module_linear(&m, 3, 2, true));
    CHECK_OK(snn_module_ref(&m2, m));
    CHECK_OK(snn_module_free(m));
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_tensor_from_data(&x, data, 3, shape, 1));
    CHECK_OK(snn_module_forward(&y, m2, x));
    snn_tensor *ps[4] = {0};
    size_t np = 0;
    CHECK_OK(snn_module_parameters(ps, 4, &np, m2));
    snn_optimizer *o = NULL, *o2 = NULL;
    CHECK_OK(snn_optimizer_sgd(&o, ps, np, NULL));
    CHECK_OK(snn_optimizer_ref(&o2, o));
    CHECK_OK(snn_optimizer_free(o));
    CHECK_OK(snn_optimizer_step(o2));
    CHECK(snn_optimizer_ref(&o, (snn_optimizer *)m2) == SNN_ERR_INVALID_HANDLE && o == NULL, "a module is not an optimizer");
    CHECK_OK(snn_optimizer_free(o2));
    for (size_t i = 0; i < np; i++) snn_tensor_free(ps[i]);
    snn_tensor_free(x);
    snn_tensor_free(y);
    CHECK_OK(snn_module_free(m2));
    CHECK(live_handles() == base, "module and optimizer handles freed");
}

/* An independent copy: snn_module_from_architecture(architecture, state_dict). */
static void module_copies(void) {
    int64_t base = live_handles();
    snn_module *m = NULL, *c = NULL;
    CHECK_OK(snn_module_linear(&m, 3, 2, true));
    char arch[4096];
    size_t len = 0;
    CHECK_OK(snn_module_architecture(arch, sizeof arch, &len, m));
    snn_tensor_map *state = NULL;
    CHECK_OK(snn_module_state_dict(&state, m));
    CHECK_OK(snn_module_from_architecture(&c, arch, state));
    int64_t shape[2] = {1, 3};
    float data[3] = {0.5f, -1.0f, 2.0f};
    snn_tensor *x = NULL, *y1 = NULL, *y2 = NULL, *w = NULL, *z = NULL;
    CHECK_OK(snn_tensor_from_data(&x, data, 3, shape, 2));
    CHECK_OK(snn_module_forward(&y1, m, x));
    CHECK_OK(snn_module_forward(&y2, c, x));
    float a[2], b[2];
    CHECK_OK(snn_tensor_copy_data(a, 2, y1));
    CHECK_OK(snn_tensor_copy_data(b, 2, y2));
    CHECK(a[0] == b[0] && a[1] == b[1], "the copy computes what the original does");
    /* changing the original's weight leaves the copy alone */
    CHECK_OK(snn_tensor_map_get(&w, state, "weight"));
    int64_t ws[2] = {2, 3};
    CHECK_OK(snn_tensor_zeros(&z, ws, 2));
    CHECK_OK(snn_no_grad_begin());  /* the weight is a leaf that requires grad: as torch.no_grad() */
    CHECK_OK(snn_tensor_copy_(w, z));
    CHECK_OK(snn_no_grad_end());
    snn_tensor_free(y2);
    y2 = NULL;
    CHECK_OK(snn_module_forward(&y2, c, x));
    CHECK_OK(snn_tensor_copy_data(b, 2, y2));
    CHECK(a[0] == b[0] && a[1] == b[1], "the copy does not share the original's weight");
    snn_module *bad = NULL;
    FAILS(SNN_ERR_FORMAT, bad, "snn_module_from_architecture", "architecture",
          snn_module_from_architecture(&bad, "{not json", state));
    snn_tensor_map *empty = NULL;
    CHECK_OK(snn_tensor_map_new(&empty));
    FAILS(SNN_ERR_FORMAT, bad, "snn_module_from_architecture", "Missing key(s) in state_dict: \"weight\", \"bias\".",
          snn_module_from_architecture(&bad, arch, empty));
    FAILS(SNN_ERR_INVALID_ARGUMENT, bad, "snn_module_from_architecture", "architecture",
          snn_module_from_architecture(&bad, NULL, state));
    snn_tensor_map_free(empty);
    snn_tensor_map_free(state);
    snn_tensor_free(x); snn_tensor_free(y1); snn_tensor_free(y2); snn_tensor_free(w); snn_tensor_free(z);
    snn_module_free(m);
    snn_module_free(c);
    CHECK(live_handles() == base, "module copies freed");
}

/* release runs exactly once, after the last handle, view and graph reference. */
static void release_once(void) {
    int64_t base = live_handles();
    float *buf = malloc(6 * sizeof(float));
    for (int i = 0; i < 6; i++) buf[i] = (float)i + 1;
    int64_t shape[2] = {2, 3};
    snn_tensor *x = NULL, *x2 = NULL, *v = NULL, *y = NULL, *s = NULL;
    CHECK_OK(snn_tensor_wrap(&x, buf, 6 * sizeof(float), shape, 2, SNN_FLOAT32, release, (void *)1));
    void *p = NULL;
    CHECK_OK(snn_tensor_data_ptr(&p, x));
    CHECK(p == buf, "the data pointer is the caller's memory");
    buf[0] = 10;
    CHECK(first(x) == 10.0f, "the tensor reads the caller's memory in place");
    CHECK_OK(snn_tensor_ref(&x2, x));
    int64_t flat[1] = {6};
    CHECK_OK(snn_tensor_reshape(&v, x, flat, 1));  /* a view: shares the storage */
    CHECK_OK(snn_tensor_set_requires_grad(x, true));
    CHECK_OK(snn_tensor_mul(&y, x, x));             /* the graph saves x */
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    CHECK_OK(snn_tensor_free(x));
    CHECK_OK(snn_tensor_free(x2));
    CHECK(g_released[1] == 0, "not released while a view lives");
    CHECK_OK(snn_tensor_free(v));
    CHECK(g_released[1] == 0, "not released while the graph holds the tensor");
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK_OK(snn_tensor_free(y));
    CHECK_OK(snn_tensor_free(s));
    CHECK(g_released[1] == 1, "released exactly once after the last reference (%d)", g_released[1]);
    free(buf);
    CHECK(live_handles() == base, "wrap handles freed");
}

/* 1-byte-offset memory: conv2d and matmul give the same bits as on aligned memory. */
static void misaligned(void) {
    int64_t base = live_handles();
    int64_t xs[4] = {2, 3, 9, 11}, ws[4] = {4, 3, 3, 3}, as[2] = {37, 53}, bs[2] = {53, 29};
    size_t nx = 2 * 3 * 9 * 11, nw = 4 * 3 * 3 * 3, na = 37 * 53, nb = 53 * 29;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *a = malloc(na * 4), *b = malloc(nb * 4);
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)((i * 53) % 89) / 44.0f - 1.0f;
    for (size_t i = 0; i < na; i++) a[i] = (float)((i * 29) % 97) / 48.0f - 1.0f;
    for (size_t i = 0; i < nb; i++) b[i] = (float)((i * 31) % 83) / 41.0f - 1.0f;
    /* the same values, one byte past an aligned address */
    unsigned char *raw = malloc((nx + nw + na + nb) * 4 + 64 + 1);
    unsigned char *mis = (unsigned char *)(((uintptr_t)raw + 63) & ~(uintptr_t)63) + 1;
    memcpy(mis, x, nx * 4);
    memcpy(mis + nx * 4, w, nw * 4);
    memcpy(mis + (nx + nw) * 4, a, na * 4);
    memcpy(mis + (nx + nw + na) * 4, b, nb * 4);
    snn_tensor *tx = NULL, *tw = NULL, *ta = NULL, *tb = NULL, *mx = NULL, *mw = NULL, *ma = NULL, *mb = NULL;
    CHECK_OK(snn_tensor_from_data(&tx, x, nx, xs, 4));
    CHECK_OK(snn_tensor_from_data(&tw, w, nw, ws, 4));
    CHECK_OK(snn_tensor_from_data(&ta, a, na, as, 2));
    CHECK_OK(snn_tensor_from_data(&tb, b, nb, bs, 2));
    CHECK_OK(snn_tensor_wrap(&mx, mis, nx * 4, xs, 4, SNN_FLOAT32, release, (void *)2));
    CHECK_OK(snn_tensor_wrap(&mw, mis + nx * 4, nw * 4, ws, 4, SNN_FLOAT32, release, (void *)2));
    CHECK_OK(snn_tensor_wrap(&ma, mis + (nx + nw) * 4, na * 4, as, 2, SNN_FLOAT32, release, (void *)2));
    CHECK_OK(snn_tensor_wrap(&mb, mis + (nx + nw + na) * 4, nb * 4, bs, 2, SNN_FLOAT32, release, (void *)2));
    snn_conv2d_options o = conv2d_options();
    o.pad_h = o.pad_w = 1;
    snn_tensor *c1 = NULL, *c2 = NULL, *p1 = NULL, *p2 = NULL;
    CHECK_OK(snn_tensor_conv2d(&c1, tx, tw, NULL, &o));
    CHECK_OK(snn_tensor_conv2d(&c2, mx, mw, NULL, &o));
    CHECK_OK(snn_tensor_matmul(&p1, ta, tb));
    CHECK_OK(snn_tensor_matmul(&p2, ma, mb));
    size_t nc = 2 * 4 * 9 * 11, np = 37 * 29;
    float *r1 = malloc((nc > np ? nc : np) * 4), *r2 = malloc((nc > np ? nc : np) * 4);
    CHECK_OK(snn_tensor_copy_data(r1, nc, c1));
    CHECK_OK(snn_tensor_copy_data(r2, nc, c2));
    CHECK(memcmp(r1, r2, nc * 4) == 0, "conv2d on 1-byte-offset memory gives the aligned result");
    CHECK_OK(snn_tensor_copy_data(r1, np, p1));
    CHECK_OK(snn_tensor_copy_data(r2, np, p2));
    CHECK(memcmp(r1, r2, np * 4) == 0, "matmul on 1-byte-offset memory gives the aligned result");
    float direct = 0;  /* and the result is right, not only equal: p[0][0] by hand */
    for (size_t k = 0; k < 53; k++) direct += a[k] * b[k * 29];
    CHECK(r1[0] > direct - 1e-3f && r1[0] < direct + 1e-3f, "matmul[0][0] %g, expected %g", r1[0], direct);
    snn_tensor *h[] = {tx, tw, ta, tb, mx, mw, ma, mb, c1, c2, p1, p2};
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) CHECK_OK(snn_tensor_free(h[i]));
    CHECK(g_released[2] == 4, "each wrapped tensor released once (%d)", g_released[2]);
    free(raw); free(x); free(w); free(a); free(b); free(r1); free(r2);
    CHECK(live_handles() == base, "misaligned handles freed");
}

static void dtypes_and_readonly(void) {
    int64_t base = live_handles();
    static const struct { snn_dtype dt; size_t size; } kinds[] = {
        {SNN_FLOAT32, 4}, {SNN_INT64, 8}, {SNN_FLOAT64, 8}, {SNN_INT32, 4}, {SNN_UINT8, 1}, {SNN_BOOL, 1}};
    unsigned char buf[64] = {1, 0, 1, 1};
    int64_t shape[1] = {4};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        snn_tensor *t = NULL;
        CHECK_OK(snn_tensor_wrap(&t, buf, 4 * kinds[i].size, shape, 1, kinds[i].dt, release, (void *)3));
        snn_dtype got = (snn_dtype)-1;
        CHECK_OK(snn_tensor_dtype(&got, t));
        CHECK(got == kinds[i].dt, "dtype %d, expected %d", (int)got, (int)kinds[i].dt);
        void *p = NULL;
        CHECK_OK(snn_tensor_data_ptr(&p, t));
        CHECK(p == buf, "dtype %d: data pointer", (int)kinds[i].dt);
        snn_tensor_free(t);
    }
    CHECK(g_released[3] == 6, "six wraps, six releases (%d)", g_released[3]);

    static const float ro[4] = {1, 2, 3, 4};
    snn_tensor *r = NULL, *src = NULL, *sum = NULL;
    CHECK_OK(snn_tensor_wrap_readonly(&r, ro, sizeof ro, shape, 1, SNN_FLOAT32, release, (void *)4));
    bool writable = true;
    CHECK_OK(snn_tensor_is_writable(&writable, r));
    CHECK(!writable, "read-only memory is reported as such");
    CHECK_OK(snn_tensor_zeros(&src, shape, 1));
    CHECK(snn_tensor_copy_(r, src) == SNN_ERR_INVALID_ARGUMENT && strstr(snn_last_error(), "read-only"),
          "copy_ into read-only memory is refused: %s", snn_last_error());
    CHECK(ro[0] == 1.0f, "the read-only memory is unchanged");
    CHECK_OK(snn_tensor_sum(&sum, r, NULL, 0, false));
    CHECK(first(sum) == 10.0f, "ops read read-only memory");
    CHECK_OK(snn_tensor_is_writable(&writable, sum));
    CHECK(writable, "results of ops are writable");
    snn_tensor_free(r); snn_tensor_free(src); snn_tensor_free(sum);
    CHECK(g_released[4] == 1, "read-only wrap released once");

    /* empty tensors may have no memory at all */
    int64_t zero[1] = {0};
    snn_tensor *e = NULL;
    CHECK_OK(snn_tensor_wrap(&e, NULL, 0, zero, 1, SNN_FLOAT32, release, (void *)5));
    snn_tensor_free(e);
    CHECK(g_released[5] == 1, "an empty wrap is released too");
    CHECK(live_handles() == base, "dtype handles freed");
}

static void bad_input(void) {
    int64_t base = live_handles();
    float buf[8] = {0};
    int64_t shape[2] = {2, 3}, huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40}, neg[1] = {-1};
    snn_tensor *t = NULL;
    const char *W = "snn_tensor_wrap";
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, W, "NULL", snn_tensor_wrap(&t, NULL, 24, shape, 2, SNN_FLOAT32, release, (void *)6));
    FAILS(SNN_ERR_SHAPE, t, W, "too few", snn_tensor_wrap(&t, buf, 20, shape, 2, SNN_FLOAT32, release, (void *)6));
    FAILS(SNN_ERR_SHAPE, t, W, "too few", snn_tensor_wrap(&t, buf, 24, shape, 2, SNN_FLOAT64, release, (void *)6));
    FAILS(SNN_ERR_OUT_OF_MEMORY, t, W, "shape", snn_tensor_wrap(&t, buf, 32, huge, 2, SNN_FLOAT32, release, (void *)6));
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, W, "negative", snn_tensor_wrap(&t, buf, 32, neg, 1, SNN_FLOAT32, release, (void *)6));
    FAILS(SNN_ERR_DTYPE, t, W, "dtype 99", snn_tensor_wrap(&t, buf, 32, shape, 2, (snn_dtype)99, release, (void *)6));
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, W, "release is NULL", snn_tensor_wrap(&t, buf, 32, shape, 2, SNN_FLOAT32, NULL, (void *)6));
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, W, "ndim", snn_tensor_wrap(&t, buf, 32, shape, 17, SNN_FLOAT32, release, (void *)6));
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, "snn_tensor_wrap_readonly", "NULL",
          snn_tensor_wrap_readonly(&t, NULL, 8, shape, 1, SNN_FLOAT32, release, (void *)6));
    CHECK(snn_tensor_wrap(NULL, buf, 32, shape, 2, SNN_FLOAT32, release, (void *)6) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(g_released[6] == 0, "a failed wrap never calls release (%d)", g_released[6]);

    snn_tensor *x = NULL;
    CHECK_OK(snn_tensor_from_data(&x, buf, 6, shape, 2));
    void *p = (void *)1;
    CHECK(snn_tensor_data_ptr(NULL, x) == SNN_ERR_INVALID_ARGUMENT, "data_ptr: NULL out");
    CHECK_OK(snn_tensor_free(x));
    CHECK(snn_tensor_data_ptr(&p, x) == SNN_ERR_INVALID_HANDLE && p == NULL, "data_ptr of a freed handle");
    CHECK(strstr(snn_last_error(), "snn_tensor_data_ptr") != NULL, "message names data_ptr: %s", snn_last_error());
    snn_tensor *r = NULL;
    CHECK(snn_tensor_ref(&r, x) == SNN_ERR_INVALID_HANDLE && r == NULL, "ref of a freed handle");
    CHECK(snn_tensor_ref(&r, NULL) == SNN_ERR_INVALID_ARGUMENT && r == NULL, "ref of NULL");
    snn_module *m = NULL;
    CHECK(snn_module_ref(&m, (snn_module *)(uintptr_t)0x1234) == SNN_ERR_INVALID_HANDLE && m == NULL, "ref of garbage");
    CHECK(live_handles() == base, "no handle leaked by bad input (%lld)", (long long)(live_handles() - base));
}

/* The DLPack structs as dlpack.h declares them (unversioned DLManagedTensor). */
typedef struct { int32_t device_type, device_id; } DLDevice;
typedef struct { uint8_t code, bits; uint16_t lanes; } DLDataType;
typedef struct {
    void *data; DLDevice device; int32_t ndim; DLDataType dtype; int64_t *shape, *strides; uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
    DLTensor dl_tensor; void *manager_ctx; void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;

static int g_deleted;
static void count_delete(DLManagedTensor *self) { (void)self; g_deleted++; }

static void dlpack(void) {
    int64_t base = live_handles();
    float *buf = malloc(6 * sizeof(float));
    for (int i = 0; i < 6; i++) buf[i] = (float)i;
    int64_t shape[2] = {2, 3};
    snn_tensor *x = NULL, *u = NULL;
    CHECK_OK(snn_tensor_wrap(&x, buf, 6 * sizeof(float), shape, 2, SNN_FLOAT32, release, (void *)7));
    DLManagedTensor *m = NULL;
    CHECK_OK(snn_tensor_to_dlpack((void **)&m, x));
    CHECK(m && m->dl_tensor.data == buf && m->dl_tensor.device.device_type == 1 && m->dl_tensor.ndim == 2,
          "the producer lends the tensor's memory on the CPU");
    CHECK(m && m->dl_tensor.dtype.code == 2 && m->dl_tensor.dtype.bits == 32 && m->dl_tensor.dtype.lanes == 1, "float32");
    CHECK(m && m->dl_tensor.shape[0] == 2 && m->dl_tensor.shape[1] == 3 && m->dl_tensor.strides[0] == 3 &&
          m->dl_tensor.strides[1] == 1 && m->dl_tensor.byte_offset == 0, "shape and row-major strides");
    CHECK_OK(snn_tensor_free(x));
    CHECK(g_released[7] == 0, "the DLManagedTensor keeps the memory alive");
    CHECK_OK(snn_tensor_from_dlpack(&u, m));  /* our own capsule back: the same memory */
    void *p = NULL;
    CHECK_OK(snn_tensor_data_ptr(&p, u));
    CHECK(p == buf && first(u) == 0.0f, "the consumer shares the memory");
    CHECK_OK(snn_tensor_free(u));
    CHECK(g_released[7] == 1, "the last consumer reference runs the producer's deleter, which releases (%d)", g_released[7]);

    /* a foreign DLManagedTensor: int32 [3] with byte_offset, its deleter counted */
    int32_t ints[4] = {-1, 10, 20, 30};
    int64_t dshape[1] = {3}, dstrides[1] = {1};
    DLManagedTensor f = {{ints, {1, 0}, 1, {0, 32, 1}, dshape, dstrides, 4}, NULL, count_delete};
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_dlpack(&t, &f));
    snn_dtype dt = SNN_FLOAT32;
    CHECK_OK(snn_tensor_dtype(&dt, t));
    CHECK_OK(snn_tensor_data_ptr(&p, t));
    CHECK(dt == SNN_INT32 && p == &ints[1], "int32 from byte_offset 4");
    CHECK(g_deleted == 0, "not deleted while the tensor lives");
    CHECK_OK(snn_tensor_free(t));
    CHECK(g_deleted == 1, "deleted exactly once (%d)", g_deleted);

    /* bad input: clear errors, and the caller keeps ownership (the deleter is not called) */
    const char *F = "snn_tensor_from_dlpack";
    DLManagedTensor bad = f;
    bad.dl_tensor.device.device_type = 2;
    FAILS(SNN_ERR_UNSUPPORTED, t, F, "device", snn_tensor_from_dlpack(&t, &bad));
    bad = f; bad.dl_tensor.dtype.bits = 16; bad.dl_tensor.dtype.code = 2;
    FAILS(SNN_ERR_DTYPE, t, F, "bits 16", snn_tensor_from_dlpack(&t, &bad));
    bad = f; bad.dl_tensor.dtype.lanes = 4;
    FAILS(SNN_ERR_DTYPE, t, F, "lanes 4", snn_tensor_from_dlpack(&t, &bad));
    bad = f; bad.dl_tensor.ndim = 17;
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, F, "ndim", snn_tensor_from_dlpack(&t, &bad));
    int64_t back[1] = {-1};
    bad = f; bad.dl_tensor.strides = back;
    FAILS(SNN_ERR_UNSUPPORTED, t, F, "negative stride", snn_tensor_from_dlpack(&t, &bad));
    int64_t negshape[1] = {-3};
    bad = f; bad.dl_tensor.shape = negshape;
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, F, "negative", snn_tensor_from_dlpack(&t, &bad));
    bad = f; bad.dl_tensor.data = NULL;
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, F, "NULL", snn_tensor_from_dlpack(&t, &bad));
    FAILS(SNN_ERR_INVALID_ARGUMENT, t, F, "NULL", snn_tensor_from_dlpack(&t, NULL));
    CHECK(g_deleted == 1, "failed imports never call the deleter (%d)", g_deleted);

    /* strided memory is shared, not copied: float32 [3] with stride 2 over fl[0], fl[2], fl[4] */
    float fl[5] = {0, 1, 2, 3, 4};
    int64_t sshape[1] = {3}, sstrides[1] = {2};
    DLManagedTensor sf = {{fl, {1, 0}, 1, {2, 32, 1}, sshape, sstrides, 0}, NULL, count_delete};
    CHECK_OK(snn_tensor_from_dlpack(&t, &sf));
    float got[3] = {0};
    int64_t st[1] = {0};
    CHECK_OK(snn_tensor_copy_data(got, 3, t));
    CHECK_OK(snn_tensor_stride(st, 1, t));
    CHECK(got[0] == 0 && got[1] == 2 && got[2] == 4 && st[0] == 2, "strided import reads every other element, stride 2");
    CHECK_OK(snn_tensor_mul_scalar_(t, 10));
    CHECK(fl[2] == 20 && fl[4] == 40 && fl[1] == 1 && fl[3] == 3, "writes go to the caller's strided memory only");
    CHECK_OK(snn_tensor_free(t));
    CHECK(g_deleted == 2, "the strided import is deleted exactly once (%d)", g_deleted);
    static const float ro[2] = {1, 2};
    int64_t two[1] = {2};
    snn_tensor *r = NULL;
    CHECK_OK(snn_tensor_wrap_readonly(&r, ro, sizeof ro, two, 1, SNN_FLOAT32, release, (void *)7));
    void *none = (void *)1;
    CHECK(snn_tensor_to_dlpack(&none, r) == SNN_ERR_UNSUPPORTED && none == NULL, "read-only memory is not exported");
    CHECK(snn_tensor_to_dlpack(NULL, r) == SNN_ERR_INVALID_ARGUMENT, "NULL out_managed");
    snn_tensor_free(r);
    free(buf);
    CHECK(live_handles() == base, "DLPack handles freed");
}

/* Strided views lend their memory with their strides: snn_tensor_data_ptr refuses them (its
 * readers assume row-major), snn_tensor_strided_data_ptr and the DLPack export lend the first
 * element and the view's strides, and reading through those strides gives the view's values. */
static void strided_views(void) {
    float buf[12];
    for (int i = 0; i < 12; i++) buf[i] = (float)i;
    int64_t shape[2] = {3, 4};
    snn_tensor *x = NULL, *t = NULL, *s = NULL;
    CHECK_OK(snn_tensor_wrap(&x, buf, sizeof buf, shape, 2, SNN_FLOAT32, release, (void *)9));
    CHECK_OK(snn_tensor_transpose(&t, x, 0, 1));  /* [4, 3], strides (1, 4) */
    void *p = NULL;
    CHECK(snn_tensor_data_ptr(&p, t) == SNN_ERR_UNSUPPORTED && p == NULL, "data_ptr refuses a strided view");
    CHECK(strstr(snn_last_error(), "strided") != NULL, "the message says why: %s", snn_last_error());
    CHECK_OK(snn_tensor_strided_data_ptr(&p, t));
    int64_t st[2] = {0, 0};
    CHECK_OK(snn_tensor_stride(st, 2, t));
    CHECK(p == buf && st[0] == 1 && st[1] == 4, "first element and strides (%lld, %lld)", (long long)st[0], (long long)st[1]);
    float rowmajor[12] = {0};
    CHECK_OK(snn_tensor_copy_data(rowmajor, 12, t));
    int same = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) same &= ((float *)p)[i * st[0] + j * st[1]] == rowmajor[i * 3 + j];
    CHECK(same, "reading through the strides gives the view's elements");
    int64_t start = 1, step = 2;
    CHECK_OK(snn_tensor_slice(&s, x, 1, start, 4, step));  /* x[:, 1::2]: [3, 2], offset 1 */
    CHECK_OK(snn_tensor_strided_data_ptr(&p, s));
    CHECK(p == buf + 1, "a slice's first element is past the storage's start");
    DLManagedTensor *m = NULL;
    CHECK_OK(snn_tensor_to_dlpack((void **)&m, s));
    CHECK(m && m->dl_tensor.data == buf + 1 && m->dl_tensor.byte_offset == 0 && m->dl_tensor.shape[0] == 3 &&
          m->dl_tensor.shape[1] == 2 && m->dl_tensor.strides[0] == 4 && m->dl_tensor.strides[1] == 2,
          "DLPack gets the view's first element and strides");
    CHECK(snn_tensor_strided_data_ptr(NULL, s) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK_OK(snn_tensor_free(s));
    CHECK_OK(snn_tensor_free(t));
    CHECK_OK(snn_tensor_free(x));
    CHECK(g_released[9] == 0, "the DLManagedTensor keeps the memory alive");
    if (m) m->deleter(m);
    CHECK(g_released[9] == 1, "released once the capsule is deleted (%d)", g_released[9]);
    CHECK(snn_tensor_strided_data_ptr(&p, x) == SNN_ERR_INVALID_HANDLE, "a freed handle");
}

int main(void) {
    int64_t baseline = live_handles();
    refs();
    module_copies();
    release_once();
    misaligned();
    dtypes_and_readonly();
    bad_input();
    dlpack();
    strided_views();
    CHECK(live_handles() == baseline, "%lld handles leaked", (long long)(live_handles() - baseline));
    return report("test_interop");
}
