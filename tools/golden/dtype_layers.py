"""float64 golden cases for the layer ops (dtype area): convolutions, pooling, the norms,
recurrent layers and cells, max/min/amax/argmax, logsumexp, embedding, dropout and the
activations, forward and every gradient in double precision. Each case is one of its area's
cases with its float inputs converted to float64 (named f64_<case>), so the same adapters run
it in Swift, C and Python; Swift also checks the gradients by central differences in Double.
Sizes stay small: the float64 forms are composed (one autograd node per op per step)."""
import numpy as np
import torch
import torch.nn.functional as F

from . import conv, rnn


class Float64Cases:
    """`a` with every float32 input converted to float64 and each case named f64_<name>."""

    def __init__(self, a):
        self.a = a

    def __getattr__(self, k):
        return getattr(self.a, k)

    def case(self, name, op, inputs, fn, **attrs):
        ins = [x.astype(np.float64) if x.dtype == np.float32 else x for x in inputs]
        self.a.case(f"f64_{name}", op, ins, fn, **attrs)


def build(a):
    f = Float64Cases(a)
    # Convolutions: bias, stride and padding, groups with dilation, unbatched, transposed, 1-D.
    conv.conv_case(f, "conv_basic", a.randn(2, 3, 5, 4), a.randn(4, 3, 3, 3), a.randn(4))
    conv.conv_case(f, "conv_stride2_pad1", a.randn(1, 2, 6, 5), a.randn(3, 2, 3, 3), a.randn(3), stride=2, padding=1)
    conv.conv_case(f, "conv_groups_dilation", a.randn(1, 4, 7, 6), a.randn(4, 2, 2, 3), a.randn(4),
                   stride=(1, 2), padding=(1, 2), dilation=(2, 1), groups=2)
    conv.conv_case(f, "conv_unbatched_nobias", a.randn(2, 4, 4), a.randn(3, 2, 3, 3), padding=1)
    f.case("ct_stride2_outpad", "conv_transpose2d", [a.randn(1, 2, 3, 3), a.randn(2, 3, 3, 3), a.randn(3)],
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
           stride=[2, 2], padding=[1, 1], output_padding=[1, 1], dilation=[1, 1], groups=1)
    f.case("ct_groups_dilation", "conv_transpose2d", [a.randn(2, 4, 3, 2), a.randn(4, 1, 2, 2), a.randn(2)],
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 1), groups=2, dilation=2),
           stride=[2, 1], padding=[0, 0], output_padding=[0, 0], dilation=[2, 2], groups=2)
    f.case("c1_stride_pad", "conv1d", [a.randn(2, 2, 8), a.randn(3, 2, 3), a.randn(3)],
           lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), stride=2, padding=1, dilation=1, groups=1)

    # Pooling (no ties, gaps wider than the central-difference step).
    d = lambda *s: a.distinct(*s, gap=0.05)  # noqa: E731
    conv.max_pool_case(f, "max_pool_2x2", d(2, 2, 4, 4), 2)
    conv.max_pool_case(f, "max_pool_3x3_s2_p1_ceil", d(1, 2, 6, 5), 3, stride=2, padding=1, ceil_mode=True)
    conv.max_pool_case(f, "max_pool_dilation", d(1, 1, 7, 7), 2, stride=1, dilation=2)
    conv.avg_pool_case(f, "avg_pool_pad", a.randn(2, 2, 5, 5), 3, stride=2, padding=1)
    conv.avg_pool_case(f, "avg_pool_ceil_nopad_count", a.randn(1, 2, 5, 6), 2, stride=2, padding=1, ceil_mode=True,
                       count_include_pad=False)
    conv.avg_pool_case(f, "avg_pool_divisor", a.randn(1, 1, 4, 4), 2, divisor_override=3)
    for name, shape, out in [("adaptive_odd", (1, 2, 7, 5), (3, 2)), ("adaptive_unbatched", (2, 5, 5), (2, 3))]:
        f.case(name, "adaptive_avg_pool2d", [a.randn(*shape)], lambda t, out=out: F.adaptive_avg_pool2d(t, out),
               output_size=list(out))

    # batch_norm in training (statistics updated) and evaluation; the running statistics are
    # attribute lists the adapters make in the input's dtype.
    for training in (True, False):
        c = 3
        x, w, b = a.randn(4, c, 2, 3), a.uniform(0.5, 1.5, c), a.randn(c, scale=0.5)
        rm, rv = a.randn(c, scale=0.5), a.uniform(0.5, 2.0, c)

        def bn(t, w, b, rm=rm, rv=rv, training=training):
            m, v = torch.from_numpy(rm.astype(np.float64)), torch.from_numpy(rv.astype(np.float64))
            return F.batch_norm(t, m, v, w, b, training, 0.1, 1e-5), m, v
        f.case(f"bn_{'train' if training else 'eval'}", "batch_norm", [x, w, b], bn, affine=True, training=training,
               momentum=0.1, eps=1e-5, running_mean=[float(v) for v in rm], running_var=[float(v) for v in rv])
    f.case("ln_two_dims", "layer_norm", [a.randn(2, 3, 4), a.randn(3, 4), a.randn(3, 4)],
           lambda x, w, b: F.layer_norm(x, [3, 4], w, b), normalized_shape=[3, 4], eps=1e-5)
    f.case("gn_4d", "group_norm", [a.randn(2, 4, 2, 3), a.randn(4), a.randn(4)],
           lambda x, w, b: F.group_norm(x, 2, w, b), num_groups=2, eps=1e-5)

    # Recurrent layers and cells: small, with states, bidirectional, two layers, lengths.
    rnn.sequence_case(f, "lstm_h0", "lstm", T=3, B=2, I=3, H=2, hx=True)
    # (no biases: a case holds at most 16 inputs)
    rnn.sequence_case(f, "lstm_2layer_bidirectional_batch_first_nobias", "lstm", T=3, B=2, I=2, H=2, layers=2,
                      bidirectional=True, batch_first=True, bias=False)
    rnn.sequence_case(f, "lstm_lengths", "lstm", T=4, B=3, I=2, H=2, hx=True, lengths=[4, 2, 3])
    rnn.sequence_case(f, "gru_h0_bidirectional", "gru", T=3, B=2, I=3, H=2, hx=True, bidirectional=True)
    rnn.sequence_case(f, "rnn_tanh_unbatched", "rnn", T=3, I=2, H=3, batched=False)
    rnn.cell_case(f, "lstm_cell", "lstm_cell", B=2, I=3, H=2)
    rnn.cell_case(f, "gru_cell", "gru_cell", B=2, I=3, H=2)

    # Maxima, logsumexp, embedding, dropout's identities.
    a.case("f64_max_dim1", "max", [d(3, 4, 2).astype(np.float64)], lambda t: torch.max(t, 1), dim=1, keepdim=False)
    a.case("f64_min_all", "min", [d(3, 4).astype(np.float64)], lambda t: torch.min(t), dim=None)
    a.case("f64_amax_two_keep", "amax", [d(2, 3, 4).astype(np.float64)], lambda t: torch.amax(t, (0, 2), keepdim=True),
           dims=[0, 2], keepdim=True)
    a.case("f64_amin_last", "amin", [d(3, 5).astype(np.float64)], lambda t: torch.amin(t, -1), dims=[-1], keepdim=False)
    a.case("f64_argmax_dim1", "argmax", [d(4, 6, 2).astype(np.float64)], lambda t: torch.argmax(t, 1), grad=False,
           dim=1, keepdim=False)
    a.case("f64_argmin_flat", "argmin", [d(3, 5).astype(np.float64)], lambda t: torch.argmin(t), grad=False,
           dim=None, keepdim=False)
    a.case("f64_logsumexp_two", "logsumexp", [a.randn(2, 3, 4, dtype=np.float64)], lambda t: torch.logsumexp(t, (0, 2)),
           dims=[0, 2], keepdim=False)
    a.case("f64_logsumexp_big", "logsumexp", [a.uniform(-700, 700, 3, 4, dtype=np.float64)],
           lambda t: torch.logsumexp(t, 1), dims=[1], keepdim=False)
    a.case("f64_embedding", "embedding", [np.array([[0, 2, 5], [2, 2, 1]], dtype=np.int64), a.randn(6, 4, dtype=np.float64)],
           F.embedding)
    a.case("f64_dropout_eval", "dropout", [a.randn(3, 4, dtype=np.float64)], lambda t: F.dropout(t, 0.5, False),
           p=0.5, training=False)
    a.case("f64_dropout_p0", "dropout", [a.randn(3, 4, dtype=np.float64)], lambda t: F.dropout(t, 0.0, True),
           p=0.0, training=True)

    # Activations (inputs away from their kinks).
    x = a.uniform(-4, 4, 3, 5, dtype=np.float64)
    x = np.where(np.abs(np.abs(x) - 3) < 0.05, 2.0, x)
    x = np.where(np.abs(x) < 0.05, 0.5, x)
    for name in ("hardswish", "hardsigmoid", "silu", "mish", "softsign", "selu"):
        a.case(f"f64_{name}", name, [x.copy()], getattr(F, name))
    a.case("f64_gelu", "gelu", [x.copy()], F.gelu, approximate="none")
    a.case("f64_gelu_tanh", "gelu", [x.copy()], lambda t: F.gelu(t, approximate="tanh"), approximate="tanh")
    a.case("f64_softplus_beta", "softplus", [x.copy()], lambda t: F.softplus(t, beta=2.0, threshold=5.0),
           beta=2.0, threshold=5.0)
    a.case("f64_elu", "elu", [x.copy()], lambda t: F.elu(t, 0.7), alpha=0.7)
    a.case("f64_celu", "celu", [x.copy()], lambda t: F.celu(t, 1.3), alpha=1.3)
