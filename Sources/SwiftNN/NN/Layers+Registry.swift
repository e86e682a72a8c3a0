// The built-in layers' builders, keyed by type name, used to rebuild checkpoints.

let builtinLayerBuilders: [String: ModuleRegistry.Builder] = [
    // activations
    "ReLU": { _ in ReLU() },
    "LeakyReLU": { c in LeakyReLU(negativeSlope: Float(try ConfigReader(c, "LeakyReLU").double("negative_slope", 0.01))) },
    "ReLU6": { _ in ReLU6() },
    "Tanh": { _ in Tanh() },
    "Sigmoid": { _ in Sigmoid() },
    // shape
    "Flatten": { c in let r = ConfigReader(c, "Flatten"); return Flatten(startDim: try r.int("start_dim", 1), endDim: try r.int("end_dim", -1)) },
]
