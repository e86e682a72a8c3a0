// Feature extraction: the outputs of named inner modules of a module tree in one forward pass
// (torchvision's create_feature_extractor idea, by module path rather than by graph tracing).
// A module called as `m(x)` (as Sequential and the models call their children) reports its
// output to the capture active on this thread; without one that costs one thread-local read.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class FeatureCapture {
    /// Module identity -> the indices of the requested names it answers (one module may be
    /// asked for under one name only, but several names may not alias: checked on entry).
    let wanted: [ObjectIdentifier: Int]
    var outputs: [Tensor?]
    /// Stop the forward once every wanted output is in (`stopEarly`): the layers after the
    /// deepest one asked for would run for nothing (style transfer runs a truncated network
    /// hundreds of times; torchvision's create_feature_extractor prunes the same way).
    let stopEarly: Bool
    private var missing: Int

    init(wanted: [ObjectIdentifier: Int], count: Int, stopEarly: Bool = false) {
        self.wanted = wanted
        outputs = Array(repeating: nil, count: count)
        self.stopEarly = stopEarly
        missing = wanted.count
    }

    /// True while a feature extraction runs on this thread (fused layers would hide outputs).
    static var isActive: Bool { pthread_getspecific(key) != nil }

    /// Thrown through the rest of the forward when every output is captured; caught by
    /// `extractFeatures`, never seen by a caller.
    struct Complete: Error {}

    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Called by `Module.callAsFunction` after a module ran.
    @inline(__always)
    static func report(_ m: Module, _ y: Tensor) throws {
        guard let p = pthread_getspecific(key) else { return }
        let c = Unmanaged<FeatureCapture>.fromOpaque(p).takeUnretainedValue()
        guard let i = c.wanted[ObjectIdentifier(m)] else { return }
        if c.outputs[i] == nil { c.missing -= 1 }
        c.outputs[i] = y
        if c.stopEarly && c.missing == 0 { throw Complete() }
    }
}

extension Module {
    /// The module at a dotted path (`"features.3.conv"`); "" is the module itself.
    public func submodule(_ path: String) -> Module? {
        if path.isEmpty { return self }
        var m: Module = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let c = m.child(String(part)) else { return nil }
            m = c
        }
        return m
    }

    /// Every module of the tree with its dotted path, pre-order (PyTorch's named_modules,
    /// the root as "").
    public func namedModules() -> [(name: String, module: Module)] {
        var out: [(name: String, module: Module)] = []
        visit { path, m in out.append((String(path.dropLast()), m)) }
        return out
    }

    /// Runs `forward(input)` and returns, in the order of `names`, the outputs of the inner
    /// modules at those dotted paths ("" is the model's own output). A name that is not a
    /// module of the tree, a module named twice, or a module that did not run on this input
    /// (its output never reached a `m(x)` call) is an error naming it. With `stopEarly` the
    /// forward stops as soon as every named module has run (nothing after them runs; "" may
    /// not be among the names then).
    public func extractFeatures(_ input: Tensor, names: [String], stopEarly: Bool = false, _ fn: String = "features") throws -> [Tensor] {
        guard !names.isEmpty else { throw SNNError.invalid("\(fn): no layer names given") }
        var wanted: [ObjectIdentifier: Int] = [:]
        var rootIndex: Int? = nil
        for (i, n) in names.enumerated() {
            guard let m = submodule(n) else {
                let known = namedModules().map(\.name).filter { !$0.isEmpty }
                let shown = known.prefix(12).joined(separator: ", ") + (known.count > 12 ? ", ... (\(known.count) in all)" : "")
                throw SNNError.range("\(fn): '\(n)' is not a module of this \(typeName) (modules: \(shown))")
            }
            if m === self { rootIndex = i; continue }
            guard wanted.updateValue(i, forKey: ObjectIdentifier(m)) == nil else {
                throw SNNError.invalid("\(fn): '\(n)' names a module already requested (each module once)")
            }
        }
        if pthread_getspecific(FeatureCapture.key) != nil {
            throw SNNError.invalid("\(fn): a feature extraction is already running on this thread")
        }
        if stopEarly && rootIndex != nil {
            throw SNNError.invalid("\(fn): the model's own output (\"\") cannot be asked for when the forward stops early")
        }
        let capture = FeatureCapture(wanted: wanted, count: names.count, stopEarly: stopEarly)
        pthread_setspecific(FeatureCapture.key, Unmanaged.passUnretained(capture).toOpaque())
        defer { pthread_setspecific(FeatureCapture.key, nil) }
        do {
            let y = try withExtendedLifetime(capture) { try forward(input) }
            if let r = rootIndex { capture.outputs[r] = y }
        } catch is FeatureCapture.Complete {}
        return try names.enumerated().map { i, n in
            guard let t = capture.outputs[i] else {
                throw SNNError.invalid("\(fn): module '\(n)' did not run in \(typeName)'s forward (it is not called as m(x) by its parent)")
            }
            return t
        }
    }
}
