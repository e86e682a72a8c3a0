// The built-in layers' builders, keyed by type name, used to rebuild checkpoints.

let builtinLayerBuilders: [String: ModuleRegistry.Builder] = [
    // MARK: Recurrent layers (NN/Recurrent)
    "RNN": RNN.build,
    "LSTM": LSTM.build,
    "GRU": GRU.build,
    "RNNCell": RNNCell.build,
    "LSTMCell": LSTMCell.build,
    "GRUCell": GRUCell.build,
    "Embedding": Embedding.build,
    // MARK: end of recurrent layers
]
