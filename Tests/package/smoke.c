/* A tiny consumer of the shipped library: y = sum(x @ x) and its gradient through the C API,
 * compiled against include/ (or an installed prefix) by check_standalone.sh and
 * check_install.sh. Exits non-zero on a wrong value, a failed call or a leaked handle. */
#include <math.h>
#include <stdio.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "smoke: %s: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); return 1; } } while (0)

int main(void) {
    if (snn_abi_version() != SNN_ABI_VERSION) {
        fprintf(stderr, "smoke: library ABI %d, header ABI %d\n", snn_abi_version(), SNN_ABI_VERSION);
        return 1;
    }
    int64_t shape[2] = {2, 2};
    float data[4] = {1, 2, 3, 4};
    snn_tensor *x = NULL, *xx = NULL, *y = NULL, *g = NULL;
    TRY(snn_tensor_from_data(&x, data, 4, shape, 2));
    TRY(snn_tensor_set_requires_grad(x, true));
    TRY(snn_tensor_matmul(&xx, x, x));
    TRY(snn_tensor_sum(&y, xx, NULL, 0, false));
    TRY(snn_tensor_backward(y, NULL, false));
    TRY(snn_tensor_grad(&g, x));
    double value = 0;
    float grad[4] = {0};
    TRY(snn_tensor_item(&value, y));
    TRY(snn_tensor_copy_data(grad, 4, g));
    /* x @ x = [[7, 10], [15, 22]]; d sum(x @ x) / dx = 1 x^T + x^T 1 = [[7, 11], [9, 13]] */
    const float want[4] = {7, 11, 9, 13};
    int bad = value != 54.0;
    for (int i = 0; i < 4; i++) bad |= fabsf(grad[i] - want[i]) > 1e-5f;
    snn_tensor_free(g); snn_tensor_free(y); snn_tensor_free(xx); snn_tensor_free(x);
    int64_t live = -1;
    TRY(snn_live_handles(&live));
    if (bad || live != 0) {
        fprintf(stderr, "smoke: wrong result (sum %g, grad %g %g %g %g) or %lld live handles\n",
                value, grad[0], grad[1], grad[2], grad[3], (long long)live);
        return 1;
    }
    printf("smoke: ok (SwiftNN %s, ABI %d)\n", snn_version(), snn_abi_version());
    return 0;
}
