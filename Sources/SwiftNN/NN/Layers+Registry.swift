// The built-in layers' builders, keyed by type name, used to rebuild checkpoints.

let builtinLayerBuilders: [String: ModuleRegistry.Builder] = [:]
