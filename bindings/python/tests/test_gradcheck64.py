"""torch.autograd.gradcheck in float64 through the layers whose float64 forms issue 16 added:
convolutions, pooling, batch norm (training and evaluation), layer and group norm, an LSTM and
a GRU (functional forms with float64 weights), and a small CNN end to end. Backward's Jacobian
against central differences in double precision; a wrong gradient must fail."""
import numpy as np
import pytest

import swiftnn
import swiftnn.nn.functional as F
from swiftnn.autograd import gradcheck
from swiftnn.gradcheck import GradcheckError
from swiftnn.nn import recurrent as R

RNG = np.random.default_rng(7)


def leaf(*shape, scale=1.0):
    return swiftnn.tensor(RNG.standard_normal(shape) * scale, requires_grad=True)


def distinct(*shape):
    """No ties, gaps far wider than gradcheck's step: max pooling's winners never flip."""
    n = int(np.prod(shape))
    return swiftnn.tensor((RNG.permutation(n) * 0.1).reshape(shape) - n * 0.05, requires_grad=True)


def test_inputs_are_float64():
    assert leaf(2).dtype is swiftnn.float64


def test_conv2d_with_stride_padding_groups_and_dilation():
    x, w, b = leaf(2, 4, 6, 5), leaf(4, 2, 3, 2), leaf(4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), (x, w, b))


def test_conv_transpose2d_and_conv1d():
    x, w, b = leaf(1, 2, 3, 3), leaf(2, 3, 3, 3), leaf(3)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), (x, w, b))
    x1, w1, b1 = leaf(2, 2, 7), leaf(3, 2, 3), leaf(3)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), (x1, w1, b1))


def test_pooling():
    x = distinct(1, 2, 6, 5)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, stride=2, padding=1, ceil_mode=True), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, count_include_pad=False), (x,))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (4, 3)), (x,))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(training):
    x, w, b = leaf(4, 3, 2, 2), leaf(3), leaf(3)
    rm = swiftnn.tensor(RNG.standard_normal(3))
    rv = swiftnn.tensor(RNG.uniform(0.5, 2.0, 3))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training), (x, w, b))


def test_layer_norm_and_group_norm():
    x, w, b = leaf(2, 4, 3), leaf(4, 3), leaf(4, 3)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, [4, 3], w, b), (x, w, b))
    x, w, b = leaf(2, 4, 3), leaf(4), leaf(4)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


def test_lstm_and_gru():
    T, B, I, H = 3, 2, 3, 2
    x, h0, c0 = leaf(T, B, I), leaf(1, B, H, scale=0.5), leaf(1, B, H, scale=0.5)
    lstm = [leaf(4 * H, I, scale=0.5), leaf(4 * H, H, scale=0.5), leaf(4 * H, scale=0.5), leaf(4 * H, scale=0.5)]
    assert gradcheck(lambda x, h, c, *p: R.lstm(x, (h, c), p), (x, h0, c0, *lstm))
    gru = [leaf(3 * H, I, scale=0.5), leaf(3 * H, H, scale=0.5), leaf(3 * H, scale=0.5), leaf(3 * H, scale=0.5)]
    assert gradcheck(lambda x, h, *p: R.gru(x, h, p, bidirectional=False), (x, h0, *gru))


def test_a_small_cnn_end_to_end():
    x = distinct(2, 1, 6, 6)
    w1, b1, g, be = leaf(3, 1, 3, 3, scale=0.5), leaf(3), leaf(3), leaf(3)
    w2, b2 = leaf(4, 12, scale=0.5), leaf(4)
    target = swiftnn.tensor([1, 3])

    def net(x, w1, b1, g, be, w2, b2):
        h = F.conv2d(x, w1, b1, padding=1)
        h = F.batch_norm(h, None, None, g, be, training=True)
        h = F.max_pool2d(swiftnn.tanh(h), 3)
        return F.cross_entropy(F.linear(h.reshape(2, 12), w2, b2), target)
    assert gradcheck(net, (x, w1, b1, g, be, w2, b2))


def test_a_wrong_gradient_fails():
    # detach() hides the weight's dependence from backward: the check must catch it.
    x, w = leaf(1, 2, 4, 4), leaf(2, 2, 3, 3)
    with pytest.raises(GradcheckError):
        gradcheck(lambda x, w: F.conv2d(x, w * w.detach()), (x, w))
