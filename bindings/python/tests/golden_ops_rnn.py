"""How each golden op of the "rnn" area is called from Python: the functional forms in
swiftnn.nn.recurrent (torch._VF's argument order). Inputs: x, [h0], [c0], flat weights,
[lengths] (see tools/golden/rnn.py)."""
from swiftnn.nn import recurrent as R


def _sequence(fn, lstm):
    def run(x, a):
        hx, has_len = a.get("hx") == "1", a.get("lengths") == "1"
        i = 1
        states = []
        if hx:
            states = x[1:3] if lstm else x[1:2]
            i += len(states)
        lengths = x[-1] if has_len else None
        params = x[i:len(x) - (1 if has_len else 0)]
        h = (tuple(states) if lstm else states[0]) if hx else None
        return fn(x[0], h, params, has_biases=a.get("bias", "1") == "1", num_layers=int(a.get("layers", "1")),
                  bidirectional=a.get("bidirectional") == "1", batch_first=a.get("batch_first") == "1", lengths=lengths)
    return run


def _rnn(x, a):
    fn = R.rnn_relu if a.get("nonlinearity") == "relu" else R.rnn_tanh
    return _sequence(fn, False)(x, a)


def _cell(fn, lstm):
    def run(x, a):
        n = (2 if lstm else 1) if a.get("hx") == "1" else 0
        h = (tuple(x[1:3]) if lstm else x[1]) if n else None
        w = x[1 + n:]
        bias = a.get("bias", "1") == "1"
        return fn(x[0], h, w[0], w[1], w[2] if bias else None, w[3] if bias else None)
    return run


def _rnn_cell(x, a):
    return _cell(R.rnn_relu_cell if a.get("nonlinearity") == "relu" else R.rnn_tanh_cell, False)(x, a)


OPS = {
    "rnn": _rnn,
    "lstm": _sequence(R.lstm, True),
    "gru": _sequence(R.gru, False),
    "rnn_cell": _rnn_cell,
    "lstm_cell": _cell(R.lstm_cell, True),
    "gru_cell": _cell(R.gru_cell, False),
    "embedding": lambda x, a: R.embedding(x[0], x[1]),
    "embedding_padded": lambda x, a: R.embedding(x[0], x[1], padding_idx=int(a["padding_idx"])),
}
