"""Golden cases for recurrent networks: RNN (tanh, relu), LSTM and GRU over sequences, their
cells, and embedding lookups; weights are op inputs (torch.func.functional_call), so every
weight gets a gradient.

Sequences: 1 and 2 layers, bidirectional, batch_first, with and without initial states,
padded batches with lengths, unbatched, and 120-step LSTM and GRU sequences.

Inputs of a sequence case: x, [h0], [c0 (LSTM)], the weights in PyTorch's flat order
(per layer and direction: w_ih, w_hh, [b_ih, b_hh]), [lengths (int64)]. Padded cases run
pack_padded_sequence(enforce_sorted=False) and pad_packed_sequence(total_length=T).
"""
import numpy as np
import torch
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CELLS = {"rnn_cell": torch.nn.RNNCell, "lstm_cell": torch.nn.LSTMCell, "gru_cell": torch.nn.GRUCell}


def sequence_case(a, name, op, T=5, B=3, I=4, H=5, layers=1, bidirectional=False, batch_first=False, bias=True,
                  hx=False, lengths=None, nonlinearity="tanh", batched=True, relu_margin=0.0):
    D = 2 if bidirectional else 1
    kwargs = dict(num_layers=layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if op == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    mod = MODULES[op](I, H, **kwargs)
    names = [n for n, _ in mod.named_parameters()]
    shapes = [tuple(p.shape) for _, p in mod.named_parameters()]
    k = 1 / np.sqrt(H)
    while True:
        xshape = ((B, T, I) if batch_first else (T, B, I)) if batched else (T, I)
        x = a.randn(*xshape)
        states = [a.randn(*((layers * D, B, H) if batched else (layers * D, H)), scale=0.5)
                  for _ in range(2 if op == "lstm" else 1)] if hx else []
        weights = [a.uniform(-k, k, *s) for s in shapes]
        # relu has a kink at 0: central differences (step 1e-2) need every pre-activation
        # away from it, so draw again until they are.
        if relu_margin == 0 or min_relu_preactivation(x, states, weights, layers, D, batch_first) > relu_margin:
            break
    inputs = [x] + states + weights + ([np.asarray(lengths, dtype=np.int64)] if lengths is not None else [])
    ns = len(states)

    def fn(*ts):
        xt = ts[0]
        st = ts[1:1 + ns]
        params = dict(zip(names, ts[1 + ns:1 + ns + len(names)]))
        h = None if not st else (tuple(st) if op == "lstm" else st[0])
        inp = xt
        if lengths is not None:
            inp = pack_padded_sequence(xt, ts[-1], batch_first=batch_first, enforce_sorted=False)
        out, state = functional_call(mod, params, (inp, h))
        if lengths is not None:
            out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
        return (out, *state) if op == "lstm" else (out, state)

    attrs = dict(layers=layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias, hx=hx,
                 lengths=lengths is not None)
    if op == "rnn":
        attrs["nonlinearity"] = nonlinearity
    a.case(name, op, inputs, fn, **attrs)


def min_relu_preactivation(x, states, weights, layers, D, batch_first):
    """Smallest |pre-activation| of a relu RNN (unpadded) over all layers, directions, steps."""
    xt = torch.from_numpy(x)
    if xt.dim() == 2:
        xt = xt.unsqueeze(1)
    elif batch_first:
        xt = xt.transpose(0, 1)
    T, B = xt.shape[0], xt.shape[1]
    per = len(weights) // (layers * D)
    h0 = torch.from_numpy(states[0]).reshape(layers * D, B, -1) if states else None
    smallest = float("inf")
    inp = xt
    for l in range(layers):
        outs = []
        for d in range(D):
            w = [torch.from_numpy(t) for t in weights[(l * D + d) * per:(l * D + d + 1) * per]]
            h = h0[l * D + d] if h0 is not None else torch.zeros(B, w[1].shape[1])
            seq = []
            for t in (range(T) if d == 0 else reversed(range(T))):
                pre = inp[t] @ w[0].T + h @ w[1].T + (w[2] + w[3] if per == 4 else 0)
                smallest = min(smallest, pre.abs().min().item())
                h = torch.relu(pre)
                seq.append(h)
            outs.append(torch.stack(seq if d == 0 else seq[::-1]))
        inp = torch.cat(outs, dim=-1)
    return smallest


def cell_case(a, name, op, B=3, I=4, H=5, bias=True, hx=True, nonlinearity="tanh", batched=True, relu_margin=0.0):
    kwargs = dict(bias=bias)
    if op == "rnn_cell":
        kwargs["nonlinearity"] = nonlinearity
    mod = CELLS[op](I, H, **kwargs)
    names = [n for n, _ in mod.named_parameters()]
    shapes = [tuple(p.shape) for _, p in mod.named_parameters()]
    k = 1 / np.sqrt(H)
    while True:
        x = a.randn(*((B, I) if batched else (I,)))
        states = [a.randn(*((B, H) if batched else (H,)), scale=0.5) for _ in range(2 if op == "lstm_cell" else 1)] if hx else []
        weights = [a.uniform(-k, k, *s) for s in shapes]
        if relu_margin == 0:
            break
        pre = x @ weights[0].T + (states[0] @ weights[1].T if hx else 0) + (weights[2] + weights[3] if bias else 0)
        if np.abs(pre).min() > relu_margin:
            break
    ns = len(states)

    def fn(*ts):
        st = ts[1:1 + ns]
        params = dict(zip(names, ts[1 + ns:]))
        h = None if not st else (tuple(st) if op == "lstm_cell" else st[0])
        return functional_call(mod, params, (ts[0], h))

    attrs = dict(bias=bias, hx=hx)
    if op == "rnn_cell":
        attrs["nonlinearity"] = nonlinearity
    a.case(name, op, [x] + states + weights, fn, **attrs)


def build(a):
    # Plain RNN.
    sequence_case(a, "rnn_tanh", "rnn")
    sequence_case(a, "rnn_tanh_h0_batch_first", "rnn", hx=True, batch_first=True)
    sequence_case(a, "rnn_relu_h0", "rnn", hx=True, nonlinearity="relu", relu_margin=0.05)
    sequence_case(a, "rnn_relu_bidirectional", "rnn", bidirectional=True, nonlinearity="relu", relu_margin=0.05)
    sequence_case(a, "rnn_tanh_2layer_bidirectional_nobias", "rnn", layers=2, bidirectional=True, bias=False, hx=True)
    sequence_case(a, "rnn_tanh_lengths_bidirectional", "rnn", bidirectional=True, hx=True, lengths=[5, 2, 4])

    # LSTM.
    sequence_case(a, "lstm", "lstm")
    sequence_case(a, "lstm_h0", "lstm", hx=True)
    sequence_case(a, "lstm_h0_batch_first", "lstm", hx=True, batch_first=True)
    sequence_case(a, "lstm_2layer_h0", "lstm", layers=2, hx=True)
    sequence_case(a, "lstm_bidirectional_h0", "lstm", bidirectional=True, hx=True)
    sequence_case(a, "lstm_2layer_bidirectional_nobias", "lstm", layers=2, bidirectional=True, bias=False, hx=True)
    # Padded batches: the longest sequence shorter than T too (its last rows are zeros).
    sequence_case(a, "lstm_lengths_bidirectional_h0", "lstm", bidirectional=True, hx=True, lengths=[3, 5, 1])
    sequence_case(a, "lstm_lengths_2layer_batch_first", "lstm", layers=2, batch_first=True, lengths=[2, 4, 3], T=6)
    sequence_case(a, "lstm_unbatched_h0", "lstm", hx=True, batched=False)
    # The lecture's "> 100 steps": BPTT through 120 steps stays finite and matches.
    sequence_case(a, "lstm_120_steps", "lstm", T=120, B=2, I=2, H=3, hx=True)

    # GRU.
    sequence_case(a, "gru", "gru")
    sequence_case(a, "gru_h0_batch_first", "gru", hx=True, batch_first=True)
    sequence_case(a, "gru_2layer_bidirectional_nobias", "gru", layers=2, bidirectional=True, bias=False, hx=True)
    sequence_case(a, "gru_lengths_bidirectional_h0", "gru", bidirectional=True, hx=True, lengths=[4, 1, 5])
    sequence_case(a, "gru_120_steps", "gru", T=120, B=2, I=2, H=3, hx=True)

    # Cells: one step.
    cell_case(a, "rnn_cell_tanh", "rnn_cell")
    cell_case(a, "rnn_cell_relu_nohx", "rnn_cell", hx=False, nonlinearity="relu", relu_margin=0.05)
    cell_case(a, "lstm_cell", "lstm_cell")
    cell_case(a, "lstm_cell_nohx_nobias", "lstm_cell", hx=False, bias=False)
    cell_case(a, "lstm_cell_unbatched", "lstm_cell", batched=False)
    cell_case(a, "gru_cell", "gru_cell")
    cell_case(a, "gru_cell_nobias", "gru_cell", bias=False)

    # Embedding: repeated indices accumulate; the padding row gets no gradient (by definition,
    # although the output depends on it: "embedding_padded" is left out of central differences).
    emb = torch.nn.functional.embedding
    a.case("embedding", "embedding", [np.array([[0, 2, 5], [2, 2, 1]], dtype=np.int64), a.randn(6, 4)],
           lambda i, w: emb(i, w), padding_idx=None)
    a.case("embedding_padding", "embedding_padded", [np.array([[1, 3, 1, 0], [4, 3, 3, 1]], dtype=np.int64), a.randn(5, 3)],
           lambda i, w: emb(i, w, padding_idx=1), padding_idx=1)
    a.case("embedding_padding_last", "embedding_padded", [np.array([3, 0, 3, 2, 0], dtype=np.int64), a.randn(4, 2)],
           lambda i, w: emb(i, w, padding_idx=-1), padding_idx=-1)
