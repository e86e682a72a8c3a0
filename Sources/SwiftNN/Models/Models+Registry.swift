// The models' checkpoint builders, and the registry's list of built-in tables. Swift runs no
// code when a library loads, so a model cannot add itself to the registry on its own; each
// model adds one line here instead, and NN reads the assembled list without naming a model.

/// Builders of the models in this folder, keyed by the type name their checkpoints carry.
let modelBuilders: [String: ModuleRegistry.Builder] = [
    "CharRNN": CharRNN.build,
    "Seq2Seq": Seq2Seq.build,
    "ImageCaptioner": ImageCaptioner.build,
    "MobileNetV2": MobileNetV2.build,
    "InvertedResidual": InvertedResidual.build,
    "EfficientNetLite0": EfficientNetLite0.build,
    "MBConvBlock": MBConvBlock.build,
]

extension ModuleRegistry {
    /// Every built-in table, installed on first use (`installBuiltins`). Assembled here, the
    /// one place that knows both the layers and the models, so NN depends on no model.
    static let builtinTables: [[String: Builder]] = [builtinLayerBuilders, modelBuilders]
}
