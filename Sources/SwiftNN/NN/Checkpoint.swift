// Checkpoints: a module's state dict as safetensors with PyTorch's names, plus the architecture
// in `__metadata__` so the model can be rebuilt from the file alone. Writes are atomic.

public enum Checkpoint {
    public static let architectureKey = "swiftnn.architecture"

    /// Saves `module`'s state dict (and architecture) to `path`, with extra metadata strings.
    public static func save(_ module: Module, to path: String, metadata: [(key: String, value: String)] = []) throws {
        var file = SafeTensors(tensors: module.stateDict().map { ($0.name, $0.tensor) })
        // "format": "pt" tells safetensors.torch the layout is PyTorch's.
        file.metadata = [("format", "pt"), (architectureKey, module.architecture.serialized)] + metadata
        try file.write(path: path)
    }

    /// Rebuilds the module described in the file and loads its weights.
    public static func load(from path: String) throws -> Module {
        try load(from: path, mmap: false)  // Checkpoint+Load.swift
    }

    /// Rebuilds the module `architecture` (the JSON of `Module.architecture`) with the values
    /// of `state` (every key, strictly): a checkpoint held in memory, for copies and pickling.
    /// The random initialisation is overwritten, so the global generator is left unchanged.
    public static func rebuild(architecture: String, state: [(name: String, tensor: Tensor)]) throws -> Module {
        let json = try ModuleRegistry.parse(architecture, what: "architecture")
        return try Generator.global.preservingOffset {
            let stateBytes = state.reduce(0) { $0 &+ $1.tensor.count &* $1.tensor.dtype.byteSize }
            let module = try AllocationBudget.withLimit(AllocationBudget.forState(bytes: stateBytes), "architecture") {
                try ModuleRegistry.build(json)
            }
            try module.loadStateDict(state, strict: true)
            return module
        }
    }

    /// Loads weights from `path` into an existing module (any safetensors file with PyTorch
    /// names, e.g. one written by `safetensors.torch.save_file(model.state_dict(), path)`).
    public static func loadWeights(into module: Module, from path: String, strict: Bool = true) throws {
        let file = try SafeTensors.read(path: path)
        try module.loadStateDict(file.tensors.map { ($0.name, $0.tensor) }, strict: strict)
    }
}
