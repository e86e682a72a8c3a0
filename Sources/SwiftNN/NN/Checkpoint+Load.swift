// Loading checkpoints without copying their weights: from a mapped file (the parameters use
// the file's pages) or from a caller's buffer (one copy, no file). docs/concurrency.md.

extension Checkpoint {
    /// `load(from:)`, with `mmap` mapping the file instead of reading it: the rebuilt module's
    /// parameters and buffers use the file's pages (shared between processes, copied per page
    /// only when written). The file must not be truncated or rewritten in place while the
    /// module lives (a save to the same path renames a new file into place, which is safe).
    /// Without `mmap` the file is read and its tensors become the parameters (one copy, not
    /// a second one into the freshly initialised parameters).
    public static func load(from path: String, mmap: Bool) throws -> Module {
        let file = mmap ? try SafeTensors.map(path: path) : try SafeTensors.read(path: path)
        let module = try build(file, what: "checkpoint '\(path)'")
        // The initial values' blocks go back to the system (adoptStorage), not to the buffer
        // cache, or the loaded process would hold the model's size twice.
        try module.adoptStateDict(file.tensors, "load")
        return module
    }

    /// Rebuilds the model held in `buffer` (the bytes of a file snn_module_save wrote). The
    /// weights are copied once; the buffer may be reused as soon as this returns.
    public static func load(buffer: UnsafeRawBufferPointer, what: String = "checkpoint buffer") throws -> Module {
        let file = try SafeTensors.decode(buffer: buffer, what: what)
        let module = try build(file, what: what)
        try module.adoptStateDict(file.tensors, "load")
        return module
    }

    /// A freshly initialised module of the architecture `file` records.
    private static func build(_ file: SafeTensors, what: String) throws -> Module {
        guard let arch = file.metadata(architectureKey) else {
            throw SNNError(.format, "\(what) has no \(architectureKey) metadata; build the model in code and load only its weights (load_state_dict)")
        }
        // The registry's parser allows the architecture's nesting (JSON's default depth does not),
        // and the budget keeps a corrupt file from asking for more memory than its tensors could
        // fill (issue 20's fuzzing found a Conv2d declaring 2e9 channels).
        let json = try ModuleRegistry.parse(arch, what: "\(what) architecture")
        let stateBytes = file.tensors.reduce(0) { $0 &+ $1.tensor.count &* $1.tensor.dtype.byteSize }
        do {
            return try AllocationBudget.withLimit(AllocationBudget.forState(bytes: stateBytes), what) {
                try ModuleRegistry.build(json)
            }
        } catch let e as SNNError {
            throw SNNError(e.status, "\(what) \(e.message)")  // which file
        }
    }
}

extension Module {
    /// `loadStateDict(entries, strict: true)` by taking the entries' memory instead of copying
    /// it: each parameter and buffer then uses its entry's storage. For a module just built,
    /// that no other thread or optimizer holds yet.
    func adoptStateDict(_ entries: [(name: String, tensor: Tensor)], _ fn: String) throws {
        let mine = stateDict()
        var given: [String: Tensor] = [:]
        for (n, t) in entries { given[n] = t }
        let missing = mine.map(\.name).filter { given[$0] == nil }
        let known = Set(mine.map(\.name))
        let unexpected = entries.map(\.name).filter { !known.contains($0) }
        if !missing.isEmpty || !unexpected.isEmpty {
            let parts = (missing.isEmpty ? [] : ["missing key(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", "))"])
                + (unexpected.isEmpty ? [] : ["unexpected key(s) \(unexpected.map { "\"\($0)\"" }.joined(separator: ", "))"])
            throw SNNError(.format, "\(fn): the checkpoint does not match its architecture: \(parts.joined(separator: "; "))")
        }
        for (n, dst) in mine {
            guard let src = given[n], src.shape == dst.shape, src.dtype == dst.dtype else {
                let src = given[n]
                throw SNNError.shape("\(fn): '\(n)' is \(fmt(src?.shape ?? [])) \(src?.dtype.name ?? "") in the checkpoint but \(fmt(dst.shape)) \(dst.dtype.name) in its architecture")
            }
        }
        for (n, dst) in mine {
            if let src = given[n] { try dst.adoptStorage(of: src, fn) }
        }
    }
}
