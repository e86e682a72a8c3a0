/* Gradient hooks through C (snn_tensor_register_hook, swiftnn/autograd.h): a hook on a leaf
 * replaces the gradient before it is accumulated, hooks on a non-leaf see the gradient where
 * it arrives and feed their replacement to the op below, in registration order; a failing
 * hook stops the backward with its status; a wrong-shaped replacement is SNN_ERR_SHAPE; the
 * release callback runs once per hook (removed, graph freed, leaf freed); bad arguments
 * return a status; no handle leaks. */
#include "harness.h"
#include <string.h>

static snn_tensor *vec(const float *v, int64_t n, bool grad) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, (size_t)n, (int64_t[]){n}, 1));
    if (grad) CHECK_OK(snn_tensor_set_requires_grad(t, true));
    return t;
}

static void expect(snn_tensor *t, const float *want, size_t n, const char *what) {
    float v[8] = {0};
    CHECK_OK(snn_tensor_copy_data(v, 8, t));
    for (size_t i = 0; i < n; i++) CHECK(v[i] == want[i], "%s: element %zu is %g, expected %g", what, i, v[i], want[i]);
}

static int released[8];
static void on_release(void *user) { released[(intptr_t)user]++; }

/* Doubles the gradient (user data: the slot counting releases). */
static snn_status doubler(void *user, snn_tensor *grad, snn_tensor **replacement) {
    (void)user;
    snn_tensor *two = NULL;
    snn_status st = snn_tensor_full(&two, NULL, 0, 2.0);
    if (st != SNN_OK) return st;
    st = snn_tensor_mul(replacement, grad, two);
    snn_tensor_free(two);
    return st;
}

/* Records the first element of the gradient it sees, keeps the gradient. */
static float seen[4];
static int seen_n;
static snn_status recorder(void *user, snn_tensor *grad, snn_tensor **replacement) {
    (void)user; (void)replacement;
    float v[8] = {0};
    snn_status st = snn_tensor_copy_data(v, 8, grad);
    if (seen_n < 4) seen[seen_n++] = v[0];
    return st;
}

static snn_status failing(void *user, snn_tensor *grad, snn_tensor **replacement) {
    (void)user; (void)grad; (void)replacement;
    return SNN_ERR_IO;
}

static snn_status wrong_shape(void *user, snn_tensor *grad, snn_tensor **replacement) {
    (void)user; (void)grad;
    return snn_tensor_zeros(replacement, (int64_t[]){5}, 1);
}

static void leaf_and_nonleaf(void) {
    snn_tensor *x = vec((float[]){1, 2, 3}, 3, true), *y = NULL, *z = NULL, *loss = NULL, *g = NULL;
    int64_t id = 0;
    CHECK_OK(snn_tensor_register_hook(&id, x, doubler, (void *)(intptr_t)0, on_release));
    CHECK(id > 0, "hook id %lld", (long long)id);
    CHECK_OK(snn_tensor_mul(&y, x, x));  /* y = x^2: dy/dx = 2x */
    seen_n = 0;
    CHECK_OK(snn_tensor_register_hook(&id, y, recorder, (void *)(intptr_t)1, on_release));
    CHECK_OK(snn_tensor_register_hook(&id, y, doubler, (void *)(intptr_t)1, on_release));
    CHECK_OK(snn_tensor_register_hook(&id, y, recorder, (void *)(intptr_t)1, on_release));
    CHECK_OK(snn_tensor_sum(&loss, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    /* y's hooks: 1 seen, doubled to 2, 2 seen; x's grad = 2 * (2 * 2x) = 8x */
    CHECK(seen_n == 2 && seen[0] == 1 && seen[1] == 2, "non-leaf hooks saw %d values %g %g", seen_n, seen[0], seen[1]);
    CHECK_OK(snn_tensor_grad(&g, x));
    expect(g, (float[]){8, 16, 24}, 3, "leaf gradient through both hooks");
    CHECK(released[1] == 3, "the non-leaf's 3 hooks released with the graph: %d", released[1]);
    CHECK(released[0] == 0, "the leaf's hook still registered: %d releases", released[0]);
    bool removed = false;
    CHECK_OK(snn_tensor_remove_hook(&removed, x, id));  /* y's id: not on x */
    CHECK(!removed, "another tensor's hook id removed from x");
    snn_tensor_free(g); snn_tensor_free(loss); snn_tensor_free(y); snn_tensor_free(z);
    snn_tensor_free(x);
    CHECK(released[0] == 1, "the leaf's hook released with the leaf: %d", released[0]);
}

static void removal_and_errors(void) {
    snn_tensor *x = vec((float[]){1, 2}, 2, true), *loss = NULL, *g = NULL, *plain = vec((float[]){1}, 1, false);
    int64_t id = 0;
    bool removed = false;
    CHECK_OK(snn_tensor_register_hook(&id, x, doubler, (void *)(intptr_t)2, on_release));
    CHECK_OK(snn_tensor_remove_hook(&removed, x, id));
    CHECK(removed && released[2] == 1, "removed %d, released %d", removed, released[2]);
    CHECK_OK(snn_tensor_remove_hook(&removed, x, id));
    CHECK(!removed, "a second removal finds nothing");
    CHECK_OK(snn_tensor_sum(&loss, x, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(loss, NULL, true));
    CHECK_OK(snn_tensor_grad(&g, x));
    expect(g, (float[]){1, 1}, 2, "gradient after the hook's removal");
    snn_tensor_free(g);

    CHECK_OK(snn_tensor_register_hook(&id, x, failing, NULL, NULL));
    snn_status st = snn_tensor_backward(loss, NULL, true);
    CHECK(st == SNN_ERR_IO, "a hook's status stops the backward: %s", snn_status_string(st));
    CHECK(strstr(snn_last_error(), "SNN_ERR_IO") != NULL, "message names the hook's status: %s", snn_last_error());
    CHECK_OK(snn_tensor_remove_hook(&removed, x, id));
    CHECK_OK(snn_tensor_register_hook(&id, x, wrong_shape, NULL, NULL));
    st = snn_tensor_backward(loss, NULL, true);
    CHECK(st == SNN_ERR_SHAPE && strstr(snn_last_error(), "[5]") != NULL, "wrong-shaped replacement: %s %s",
          snn_status_string(st), snn_last_error());

    CHECK(snn_tensor_register_hook(NULL, x, doubler, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL out_id");
    CHECK(snn_tensor_register_hook(&id, NULL, doubler, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL tensor");
    CHECK(snn_tensor_register_hook(&id, x, NULL, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL hook");
    CHECK(snn_tensor_remove_hook(NULL, x, id) == SNN_ERR_INVALID_ARGUMENT, "NULL out_removed");
    st = snn_tensor_register_hook(&id, plain, doubler, NULL, NULL);
    CHECK(st == SNN_ERR_AUTOGRAD && strstr(snn_last_error(), "doesn't require gradient"), "no grad: %s %s",
          snn_status_string(st), snn_last_error());
    snn_tensor_free(loss); snn_tensor_free(x); snn_tensor_free(plain);
    CHECK(snn_tensor_register_hook(&id, x, doubler, NULL, NULL) == SNN_ERR_INVALID_HANDLE, "freed tensor");
    CHECK(snn_tensor_remove_hook(&removed, x, 1) == SNN_ERR_INVALID_HANDLE, "freed tensor (remove)");
}

int main(void) {
    int64_t baseline = live_handles();
    leaf_and_nonleaf();
    removal_and_errors();
    CHECK(live_handles() == baseline, "%lld handles leaked", (long long)(live_handles() - baseline));
    return report("test_hooks");
}
