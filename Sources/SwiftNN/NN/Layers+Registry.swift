// The built-in layers' builders, keyed by type name, used to rebuild checkpoints. Models
// (Models/) keep their own table, Models+Registry.swift.

let builtinLayerBuilders: [String: ModuleRegistry.Builder] = [
    // activations
    "ReLU": { _ in ReLU() },
    "LeakyReLU": { c in LeakyReLU(negativeSlope: Float(try ConfigReader(c, "LeakyReLU").double("negative_slope", 0.01))) },
    "ReLU6": { _ in ReLU6() },
    "Tanh": { _ in Tanh() },
    "Sigmoid": { _ in Sigmoid() },
    // dense, convolution, pooling, normalisation, dropout
    "Linear": { c in
        let r = ConfigReader(c, "Linear")
        return try Linear(inFeatures: try r.int("in_features"), outFeatures: try r.int("out_features"), bias: try r.bool("bias", true))
    },
    "Conv2d": { c in
        let r = ConfigReader(c, "Conv2d")
        func pair(_ k: String, _ d: Int) throws -> (Int, Int) {
            let v = try r.ints(k, [d, d])
            guard v.count == 2 else { throw SNNError(.format, "architecture: Conv2d.\(k) must have 2 entries") }
            return (v[0], v[1])
        }
        return try Conv2d(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                          kernelSize: try pair("kernel_size", 1), stride: try pair("stride", 1), padding: try pair("padding", 0),
                          dilation: try pair("dilation", 1), groups: try r.int("groups", 1), bias: try r.bool("bias", true))
    },
    "ConvTranspose2d": { c in
        let r = ConfigReader(c, "ConvTranspose2d")
        func pair(_ k: String, _ d: Int) throws -> (Int, Int) {
            let v = try r.ints(k, [d, d])
            guard v.count == 2 else { throw SNNError(.format, "architecture: ConvTranspose2d.\(k) must have 2 entries") }
            return (v[0], v[1])
        }
        return try ConvTranspose2d(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                                   kernelSize: try pair("kernel_size", 1), stride: try pair("stride", 1),
                                   padding: try pair("padding", 0), outputPadding: try pair("output_padding", 0),
                                   groups: try r.int("groups", 1), bias: try r.bool("bias", true), dilation: try pair("dilation", 1))
    },
    "MaxPool2d": { c in
        let r = ConfigReader(c, "MaxPool2d")
        let k = try r.ints("kernel_size"), s = try r.ints("stride", k), p = try r.ints("padding", [0, 0]), d = try r.ints("dilation", [1, 1])
        guard k.count == 2, s.count == 2, p.count == 2, d.count == 2 else { throw SNNError(.format, "architecture: MaxPool2d sizes must have 2 entries") }
        return MaxPool2d(kernelSize: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]), dilation: (d[0], d[1]), ceilMode: try r.bool("ceil_mode", false))
    },
    "AvgPool2d": { c in
        let r = ConfigReader(c, "AvgPool2d")
        let k = try r.ints("kernel_size"), s = try r.ints("stride", k), p = try r.ints("padding", [0, 0])
        guard k.count == 2, s.count == 2, p.count == 2 else { throw SNNError(.format, "architecture: AvgPool2d sizes must have 2 entries") }
        return AvgPool2d(kernelSize: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]),
                         ceilMode: try r.bool("ceil_mode", false), countIncludePad: try r.bool("count_include_pad", true))
    },
    "AdaptiveAvgPool2d": { c in
        let o = try ConfigReader(c, "AdaptiveAvgPool2d").ints("output_size")
        guard o.count == 2 else { throw SNNError(.format, "architecture: AdaptiveAvgPool2d.output_size must have 2 entries") }
        return AdaptiveAvgPool2d(outputSize: (o[0], o[1]))
    },
    "BatchNorm1d": { c in try batchNorm(from: c, spatialDims: 1) },
    "BatchNorm2d": { c in try batchNorm(from: c, spatialDims: 2) },
    "SyncBatchNorm": { c in try batchNorm(from: c, spatialDims: 2, sync: true) },
    "Dropout": { c in try Dropout(p: try ConfigReader(c, "Dropout").double("p", 0.5)) },
    "LayerNorm": { c in
        let r = ConfigReader(c, "LayerNorm")
        return try LayerNorm(normalizedShape: try r.ints("normalized_shape"), eps: try r.double("eps", 1e-5),
                             elementwiseAffine: try r.bool("elementwise_affine", true), bias: try r.bool("bias", true))
    },
    "GroupNorm": { c in
        let r = ConfigReader(c, "GroupNorm")
        return try GroupNorm(numGroups: try r.int("num_groups"), numChannels: try r.int("num_channels"),
                             eps: try r.double("eps", 1e-5), affine: try r.bool("affine", true))
    },
    // shape
    "Flatten": { c in let r = ConfigReader(c, "Flatten"); return Flatten(startDim: try r.int("start_dim", 1), endDim: try r.int("end_dim", -1)) },
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

private func batchNorm(from c: JSON, spatialDims: Int, sync: Bool = false) throws -> Module {
    let r = ConfigReader(c, sync ? "SyncBatchNorm" : spatialDims == 2 ? "BatchNorm2d" : "BatchNorm1d")
    return try BatchNorm(numFeatures: try r.int("num_features"), spatialDims: spatialDims, eps: try r.double("eps", 1e-5),
                         momentum: try r.double("momentum", 0.1), affine: try r.bool("affine", true),
                         trackRunningStats: try r.bool("track_running_stats", true), sync: sync)
}
