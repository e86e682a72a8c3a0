// Regression tests for the defects of issue 20's reliability campaign: module cycles, deep
// architecture metadata, atomic saves, empty training data and the four error messages. Each
// test names the defect it guards; each failed on the library before the fix.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private func thrown(_ body: () throws -> Void) -> SNNError? {
    do { try body() } catch let e as SNNError { return e } catch { return SNNError(.internalError, "\(error)") }
    return nil
}

private func scratchDir() -> String {
    var template = Array("/tmp/snn-robust-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

private func listDir(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let n = withUnsafeBytes(of: &e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if n != "." && n != ".." { names.append(n) }
    }
    return names.sorted()
}

/// `depth` Sequentials, each the only child of the one above, around a Linear(2, 2).
private func nested(_ depth: Int) throws -> Sequential {
    var m: Module = try Linear(inFeatures: 2, outFeatures: 2)
    for _ in 0..<(depth - 1) { m = try Sequential(named: [("0", m)]) }
    return m as! Sequential
}

// Defect: append(s, s) returned OK, then every walk recursed until the stack overflowed.
@Test func appendRefusesCycles() throws {
    let s = Sequential([try Linear(inFeatures: 2, outFeatures: 2)])
    let e = thrown { try s.append(s) }
    #expect(e?.status == .invalidArgument && e?.message.contains("cycle") == true, "\(String(describing: e))")
    let inner = Sequential([ReLU()])
    let outer = Sequential([inner])
    let deeper = Sequential([outer])
    #expect(thrown { try inner.append(outer) }?.message.contains("cycle") == true)
    #expect(thrown { try inner.append(deeper) }?.message.contains("cycle") == true)
    // sharing a module in two places is a DAG, not a cycle: allowed, as in PyTorch
    let shared = ReLU()
    try outer.append(shared)
    try deeper.append(shared)
    #expect(deeper.children.count == 2 && inner.children.count == 1)
    #expect(try s.forward(try Tensor.zeros([1, 2])).shape == [1, 2])
}

// Defect: unbounded nesting made every recursive walk (forward, save, free) a stack overflow.
@Test func appendAndConstructionRefuseNestingBeyondTheLimit() throws {
    let deep = try nested(Module.maxNesting)
    #expect(deep.height == Module.maxNesting)
    #expect(try deep.forward(try Tensor.zeros([1, 2])).shape == [1, 2])
    let over = thrown { _ = try Sequential(named: [("0", deep)]) }
    #expect(over?.message.contains("more than the limit of 1000") == true, "\(String(describing: over))")
    // appending below a root: the depth above the container counts too
    let leaf = Sequential([ReLU()])
    var top: Module = leaf
    for _ in 0..<10 { top = try Sequential(named: [("0", top)]) }
    #expect(thrown { try leaf.append(try nested(Module.maxNesting - 10)) } != nil)
    try leaf.append(try nested(Module.maxNesting - 11))
    #expect(top.height == Module.maxNesting)
    // freeing a maximally deep tree releases every level (no leak, bounded recursion)
    weak var weakLeaf: Module?
    do {
        let t = try nested(Module.maxNesting)
        var m: Module = t
        while let c = m.children.first?.module { m = c }
        weakLeaf = m
    }
    #expect(weakLeaf == nil)
}

// Defect: 50,000 nested Sequentials in a checkpoint took 39 s (quadratic) to refuse.
@Test func deepArchitectureMetadataIsRefusedInLinearTime() throws {
    let n = 100_000
    var text = "{"
    text.reserveCapacity(n * 60)
    for _ in 0..<n { text += "\"type\":\"Sequential\",\"config\":{},\"children\":[{\"name\":\"0\"," }
    text += "\"type\":\"ReLU\",\"config\":{}}"
    for _ in 0..<n { text += "]}" }
    let e = thrown { _ = try Checkpoint.rebuild(architecture: text, state: []) }
    #expect(e?.status == .format && e?.message.contains("nesting deeper than 2004 (modules nest at most 1000 deep)") == true,
            "\(String(describing: e?.message.prefix(300)))")
    // 1,001 modules: valid JSON within the parser's depth, refused by the builder
    var ok = "{"
    for _ in 0..<1000 { ok += "\"type\":\"Sequential\",\"config\":{},\"children\":[{\"name\":\"0\"," }
    ok += "\"type\":\"ReLU\",\"config\":{}}"
    for _ in 0..<1000 { ok += "]}" }
    let e2 = thrown { _ = try Checkpoint.rebuild(architecture: ok, state: []) }
    #expect(e2?.message.contains("modules nest deeper than the limit of 1000") == true, "\(String(describing: e2?.message.prefix(300)))")
    // the parser itself: long flat input and a depth at the limit parse
    let flat = "[" + Array(repeating: "1", count: 200_000).joined(separator: ",") + "]"
    #expect(try JSON.parse(Array(flat.utf8)).array?.count == 200_000)
    let atLimit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(throws: Never.self) { _ = try JSON.parse(Array(atLimit.utf8)) }
    #expect(thrown { _ = try JSON.parse(Array(("[" + atLimit + "]").utf8)) }?.message.contains("nesting deeper than 64") == true)
}

@Test func aMaximallyNestedModelSavesAndLoads() throws {
    let dir = scratchDir()
    let path = dir + "/deep.safetensors"
    let deep = try nested(Module.maxNesting)
    try Checkpoint.save(deep, to: path)
    let back = try Checkpoint.load(from: path)
    #expect(back.height == Module.maxNesting)
    #expect(back.stateDict().map(\.name) == deep.stateDict().map(\.name))
    unlink(path)
    rmdir(dir)
}

// Defects: killed saves left `*.tmp.<pid>` files behind; saving to /dev/full (a device)
// replaced the device node with a regular file.
@Test func savesCleanStaleTemporariesAndRefuseNonRegularTargets() throws {
    let dir = scratchDir()
    let path = dir + "/m.safetensors"
    let net = Sequential([try Linear(inFeatures: 2, outFeatures: 2)])
    // a pid that cannot be alive (above pid_max's largest value) and one that is (ours: left)
    let dead = "m.safetensors.tmp.99999999", dead2 = "m.safetensors.tmp.99999998.3"
    let live = "m.safetensors.tmp.\(getpid()).77", other = "other.safetensors.tmp.99999999"
    for n in [dead, dead2, live, other] { close(open(dir + "/" + n, O_CREAT | O_WRONLY, 0o644)) }
    try Checkpoint.save(net, to: path)
    #expect(listDir(dir) == [live, "m.safetensors", other].sorted())
    for n in [live, other] { unlink(dir + "/" + n) }
    // non-regular targets are refused and left as they were (never the real /dev nodes: a
    // regression would replace them; a character device is made here when we may, as root)
    let fifo = dir + "/fifo", dev = dir + "/full"
    #expect(mkfifo(fifo, 0o644) == 0)
    var targets = [(fifo, "a FIFO", S_IFIFO), (dir, "a directory", S_IFDIR)]
    if mknod(dev, S_IFCHR | 0o666, dev_t(0x107) /* major 1, minor 7: /dev/full */) == 0 { targets.append((dev, "a character device", S_IFCHR)) }
    for (target, kind, mode) in targets {
        let e = thrown { try Checkpoint.save(net, to: target) }
        #expect(e?.status == .io && e?.message.contains("it is \(kind), not a regular file") == true, "\(target): \(String(describing: e))")
        var st = stat()
        #expect(lstat(target, &st) == 0 && (st.st_mode & S_IFMT) == mode, "\(target) was replaced")
    }
    unlink(dev)
    // a failed save (here: the directory is gone) leaves nothing and says why
    unlink(fifo); unlink(path)
    let sub = dir + "/gone"
    let e = thrown { try Checkpoint.save(net, to: sub + "/x.safetensors") }
    #expect(e?.status == .io && e?.message.contains("No such file or directory") == true)
    #expect(listDir(dir).isEmpty)
    rmdir(dir)
}

// Defect: fit on an empty loader returned OK having done nothing.
@Test func fittingOnAnEmptyLoaderIsAnError() throws {
    let net = Sequential([try Linear(inFeatures: 2, outFeatures: 3)])
    let opt = try SGD(net.parameters, SGD.Options(lr: 0.1))
    let empty = try DataLoader(inputs: try Tensor.zeros([0, 2]), targets: try Tensor(int64: [], shape: [0]), batchSize: 4)
    let e = thrown { try Trainer.classifier(model: net, optimizer: opt).fit(loader: empty, epochs: 1) }
    #expect(e?.status == .invalidArgument && e?.message.contains("fit_classifier: the data loader is empty: it holds 0 samples") == true,
            "\(String(describing: e))")
    let dropped = try DataLoader(inputs: try Tensor.zeros([3, 2]), targets: try Tensor(int64: [0, 1, 2], shape: [3]), batchSize: 4, dropLast: true)
    #expect(thrown { try Trainer.classifier(model: net, optimizer: opt).fit(loader: dropped, epochs: 1) }?.message
        .contains("3 samples (batch_size 4, drop_last true)") == true)
}

// Defect: a wrong LSTM input size blamed weight_ih_l0.
@Test func aWrongRecurrentInputSizeNamesTheInput() throws {
    let lstm = try LSTM(inputSize: 10, hiddenSize: 4)
    let e = thrown { _ = try lstm.forward(try Tensor.zeros([5, 3, 7])) }
    #expect(e?.status == .shapeMismatch && e?.message == "lstm: input.size(-1) must be equal to input_size. Expected 10, got 7 (input of shape [5, 3, 7])",
            "\(String(describing: e))")
    let gru = try GRUCell(inputSize: 6, hiddenSize: 4)
    #expect(thrown { _ = try gru.forward(try Tensor.zeros([2, 5])) }?.message.contains("Expected 6, got 5 (input of shape [2, 5])") == true)
}

// Defect: load_state_dict printed "missing keys []" and size mismatches did not name the key.
@Test func loadStateDictMessagesAreTorchs() throws {
    let net = try Sequential(named: [("fc", try Linear(inFeatures: 4, outFeatures: 3))])
    let w = try Tensor.zeros([2, 4])
    let e = thrown { try net.loadStateDict([("fc.weight", w), ("fc.bias", try Tensor.zeros([3]))]) }
    #expect(e?.status == .shapeMismatch && e?.message == "load_state_dict: Error(s) in loading state_dict for Sequential: size mismatch for fc.weight: copying a param with shape [2, 4] from checkpoint, the shape in current model is [3, 4].",
            "\(String(describing: e))")
    let m = thrown { try net.loadStateDict([("fc.weight", try Tensor.zeros([3, 4]))]) }
    #expect(m?.message == "load_state_dict: Error(s) in loading state_dict for Sequential: Missing key(s) in state_dict: \"fc.bias\".")
    let u = thrown { try net.loadStateDict(net.stateDict() + [("x", w)]) }
    #expect(u?.message == "load_state_dict: Error(s) in loading state_dict for Sequential: Unexpected key(s) in state_dict: \"x\".")
}

// Defect: a PyTorch checkpoint was reported as a 578,712,552,184,433,488-byte header.
@Test func pytorchCheckpointsAreRecognised() throws {
    let legacy: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]
    for (bytes, kind) in [(legacy, "PyTorch pickle checkpoint"), (zip, "PyTorch zip checkpoint")] {
        let e = thrown { _ = try SafeTensors.decode(bytes, what: "x.pth") }
        #expect(e?.status == .format && e?.message.contains("x.pth: this is a \(kind)") == true
                && e?.message.contains("tools/torch_to_safetensors.py") == true, "\(String(describing: e))")
    }
}

// Found by the architecture fuzz target (Tests/fuzz/architecture/regression-huge-conv.json):
// metadata claiming a Conv2d with 2,084,444,285 input channels made loading allocate and fill
// gigabytes for minutes (16.7 GB here: under the physical-memory check, so it was attempted).
// Building from a file may allocate only about what the file holds.
@Test func hugeLayersInArchitectureMetadataAreRefusedBeforeAllocating() throws {
    let arch = "{\"type\":\"Conv2d\",\"config\":{\"in_channels\":2084444285,\"out_channels\":2,\"kernel_size\":[1,1]}}"
    let e = thrown { _ = try Checkpoint.rebuild(architecture: arch, state: []) }
    #expect(e?.status == .format && e?.message.contains("refusing it") == true, "\(String(describing: e))")
    // within the budget a model builds as before (and the budget ends with the call)
    let net = Sequential([try Linear(inFeatures: 300, outFeatures: 300)])
    let back = try Checkpoint.rebuild(architecture: net.architecture.serialized, state: net.stateDict())
    #expect(back.parameterCount() == 300 * 300 + 300)
    _ = try Tensor.zeros([1 << 25])  // 128 MB outside any budget
}
