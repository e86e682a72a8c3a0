/* Fits y = 3x - 2 (plus noise) with gradient descent, using only swiftnn.h: tensors,
 * broadcasting, matmul, reductions and autograd through the C API. Exits non-zero if the
 * fit is wrong or any handle leaks. */
#include <math.h>
#include <stdio.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "%s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); return 1; } } while (0)

int main(void) {
    printf("SwiftNN %s (ABI %d)\n", snn_version(), snn_abi_version());
    TRY(snn_manual_seed(42));
    int64_t xs[2] = {256, 1}, ws[2] = {1, 1}, bs[1] = {1};
    snn_tensor *x, *noise, *w, *b, *three, *two, *y;
    TRY(snn_tensor_randn(&x, xs, 2));
    TRY(snn_tensor_randn(&noise, xs, 2));
    TRY(snn_tensor_full(&three, NULL, 0, 3.0f));
    TRY(snn_tensor_full(&two, NULL, 0, 2.0f));
    {   /* y = 3x - 2 + 0.1 noise */
        snn_tensor *t1, *t2, *tenth, *n2;
        TRY(snn_tensor_mul(&t1, x, three));
        TRY(snn_tensor_sub(&t2, t1, two));
        TRY(snn_tensor_full(&tenth, NULL, 0, 0.1f));
        TRY(snn_tensor_mul(&n2, noise, tenth));
        TRY(snn_tensor_add(&y, t2, n2));
        snn_tensor_free(t1); snn_tensor_free(t2); snn_tensor_free(tenth); snn_tensor_free(n2);
    }
    TRY(snn_tensor_zeros(&w, ws, 2));
    TRY(snn_tensor_zeros(&b, bs, 1));
    TRY(snn_tensor_set_requires_grad(w, true));
    TRY(snn_tensor_set_requires_grad(b, true));
    const float lr = 0.1f;
    double loss_value = 0;
    for (int step = 0; step < 100; step++) {
        snn_tensor *pred0, *pred, *err, *sq, *loss;
        TRY(snn_tensor_matmul(&pred0, x, w));      /* [256,1] @ [1,1] */
        TRY(snn_tensor_add(&pred, pred0, b));      /* broadcast bias */
        TRY(snn_tensor_sub(&err, pred, y));
        TRY(snn_tensor_mul(&sq, err, err));
        TRY(snn_tensor_mean(&loss, sq, NULL, 0, false));
        TRY(snn_tensor_zero_grad(w));
        TRY(snn_tensor_zero_grad(b));
        TRY(snn_tensor_backward(loss, NULL, false));
        TRY(snn_tensor_item(&loss_value, loss));
        if (step % 20 == 0) printf("step %3d  loss %.5f\n", step, loss_value);
        /* SGD on raw values: read parameters and gradients, write new leaves. */
        snn_tensor *params[2] = {w, b};
        for (int p = 0; p < 2; p++) {
            snn_tensor *g;
            float v, gv;
            int64_t shape[2] = {1, 1};
            TRY(snn_tensor_grad(&g, params[p]));
            TRY(snn_tensor_copy_data(&gv, 1, g));
            TRY(snn_tensor_copy_data(&v, 1, params[p]));
            snn_tensor_free(g);
            v -= lr * gv;
            snn_tensor_free(params[p]);
            TRY(snn_tensor_from_data(&params[p], &v, 1, shape, p == 0 ? 2 : 1));
            TRY(snn_tensor_set_requires_grad(params[p], true));
        }
        w = params[0];
        b = params[1];
        snn_tensor_free(pred0); snn_tensor_free(pred); snn_tensor_free(err); snn_tensor_free(sq); snn_tensor_free(loss);
    }
    float wv, bv;
    TRY(snn_tensor_copy_data(&wv, 1, w));
    TRY(snn_tensor_copy_data(&bv, 1, b));
    printf("fit: y = %.4f x %+.4f (true: 3x - 2), final loss %.5f\n", wv, bv, loss_value);
    snn_tensor_free(x); snn_tensor_free(noise); snn_tensor_free(w); snn_tensor_free(b);
    snn_tensor_free(three); snn_tensor_free(two); snn_tensor_free(y);
    int64_t live = -1;
    TRY(snn_live_handles(&live));
    if (live != 0) { fprintf(stderr, "leaked %lld handles\n", (long long)live); return 1; }
    if (fabsf(wv - 3) > 0.05f || fabsf(bv + 2) > 0.05f) { fprintf(stderr, "fit is off\n"); return 1; }
    return 0;
}
