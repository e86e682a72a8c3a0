// The tensor: a shape, a dtype and a strided view of reference-counted storage, plus the
// autograd fields (requiresGrad, grad, the node that produced it). Views share storage; the
// layout rules (strides, contiguity, packed reads) are in TensorLayout.swift.

/// Element types. Values are part of the ABI (`snn_dtype`). bool is one byte per element
/// (0 or 1), as in PyTorch and NumPy, so masks exchange zero-copy.
public enum DType: Int32, Sendable, CaseIterable {
    case float32 = 0
    case int64 = 1
    case float64 = 2
    case int32 = 3
    case uint8 = 4
    case bool = 5

    public var byteSize: Int {
        switch self {
        case .bool, .uint8: 1
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    public var name: String {
        switch self {
        case .float32: "float32"
        case .int64: "int64"
        case .float64: "float64"
        case .int32: "int32"
        case .uint8: "uint8"
        case .bool: "bool"
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// The dtype named `name` ("float32", "float", "int64", "long", "double", ...), or nil.
    public init?(name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        case "int64", "long": self = .int64
        case "int32", "int": self = .int32
        case "uint8": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }
}

public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    /// Changed only by `convertInPlace` (Module.to(dtype), NN/Module+DType.swift).
    public internal(set) var dtype: DType
    public let count: Int
    /// Replaced only by a memory-mapped load, before the tensor is shared (Tensor+Mapped.swift).
    var storage: Storage
    /// Offset in elements into `storage` of the element at index (0, 0, ...).
    let offset: Int
    /// Strides in elements when they are not the row-major ones of `shape` (nil: row-major),
    /// so a contiguous tensor, the common case, allocates no strides array.
    let explicitStrides: [Int]?
    /// Element i in row-major order lives at `offset + i` (PyTorch's is_contiguous: strides of
    /// size-1 dimensions do not matter). Kernels read such a tensor in place.
    public let isContiguous: Bool
    /// The packed copy a non-contiguous tensor's typed accessors return (TensorLayout.swift).
    var packedCache: PackedCache?
    /// Made by a view op, sharing another tensor's storage.
    public internal(set) var isView = false
    /// The tensor a view was taken from (a view of a view: the first one's base), whose
    /// history an in-place write through the view rebases (CopySlices.swift); nil otherwise.
    var viewBase: Tensor?

    /// Whether gradients flow to this tensor. Only float tensors may require gradients.
    public internal(set) var requiresGrad: Bool = false
    /// Accumulated gradient of a leaf (or a tensor that asked to retain it).
    public var grad: Tensor?
    /// Run by backward right after it accumulated this leaf's gradient (PyTorch's
    /// register_post_accumulate_grad_hook); data-parallel training starts allreduces from them.
    var postAccumulateGradHooks: [(Tensor) throws -> Void] = []
    /// A leaf's gradient hooks (registerHook, GradientHooks.swift); a non-leaf's are on its node.
    var gradientHooks: [RegisteredGradientHook] = []
    /// The operation that produced this tensor, when it was recorded for autograd.
    var gradFn: GradFn?
    /// Created by the user rather than by a recorded operation.
    public internal(set) var isLeaf: Bool = true
    /// Keep `grad` on a non-leaf after backward (PyTorch's `retain_grad()`).
    public var retainsGrad: Bool = false { didSet { if retainsGrad { gradFn?.retainer = self } } }
    /// A 0-dim tensor standing for a Python number (PyTorch's wrapped number): type promotion
    /// ranks it below every other tensor (`promote`, Ops/Promotion.swift).
    package var isWrappedNumber: Bool = false

    public var rank: Int { shape.count }

    init(shape: [Int], dtype: DType, storage: Storage, offset: Int = 0, count: Int) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.count = count
        self.explicitStrides = nil
        self.isContiguous = true
    }

    /// A view of `storage` with any strides (in elements, 0 for an expanded dimension). The
    /// caller has checked that every reachable element lies inside the storage.
    init(shape: [Int], strides: [Int], dtype: DType, storage: Storage, offset: Int) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.count = shape.contains(0) ? 0 : shape.reduce(1, &*)
        let contiguous = stridesAreContiguous(shape, strides)
        self.isContiguous = contiguous
        self.explicitStrides = contiguous && strides == contiguousStrides(shape) ? nil : strides
    }

    /// A new uninitialised (or zeroed) tensor. Throws on invalid or too large shapes.
    public convenience init(empty shape: [Int], dtype: DType = .float32, zeroed: Bool = false, _ fn: String = "Tensor") throws {
        try PackFailure.throwIfPending()  // an op that read a view whose packing failed
        let n = try elementCount(shape, fn)
        let s = try Storage(byteCount: n * dtype.byteSize, zeroed: zeroed, fn)
        self.init(shape: shape, dtype: dtype, storage: s, count: n)
    }

    /// Copies `values` in; `values.count` must equal the shape's element count.
    public convenience init(_ values: [Float], shape: [Int]) throws {
        try self.init(empty: shape, dtype: .float32, zeroed: false, "Tensor(values:shape:)")
        guard values.count == count else {
            throw SNNError.shape("Tensor(values:shape:): \(values.count) values do not fill shape \(fmt(shape)) (\(count) elements)")
        }
        values.withUnsafeBufferPointer { src in
            if count > 0 { floats.update(from: src.baseAddress!, count: count) }
        }
    }

    /// Copies int64 `values` in.
    public convenience init(int64 values: [Int64], shape: [Int]) throws {
        try self.init(empty: shape, dtype: .int64, zeroed: false, "Tensor(int64:shape:)")
        guard values.count == count else {
            throw SNNError.shape("Tensor(int64:shape:): \(values.count) values do not fill shape \(fmt(shape)) (\(count) elements)")
        }
        values.withUnsafeBufferPointer { src in
            if count > 0 { int64s.update(from: src.baseAddress!, count: count) }
        }
    }

    /// The first element in row-major order: in place for a contiguous tensor; for a strided
    /// view, a packed row-major copy cached until the storage's version changes. Read-only by
    /// contract for strided views: writers go through `mutate` or the strided in-place ops.
    @inline(__always) package var elements: UnsafeMutableRawPointer {
        if isContiguous { return storage.raw + offset &* dtype.byteSize }
        return packedElements()
    }

    /// Float elements. Only valid for `.float32` tensors (callers check `dtype`).
    @inline(__always) package var floats: UnsafeMutablePointer<Float> {
        elements.assumingMemoryBound(to: Float.self)
    }

    /// Int64 elements. Only valid for `.int64` tensors.
    @inline(__always) package var int64s: UnsafeMutablePointer<Int64> {
        elements.assumingMemoryBound(to: Int64.self)
    }

    /// Double elements. Only valid for `.float64` tensors.
    @inline(__always) package var doubles: UnsafeMutablePointer<Double> {
        elements.assumingMemoryBound(to: Double.self)
    }

    /// Int32 elements. Only valid for `.int32` tensors.
    @inline(__always) package var int32s: UnsafeMutablePointer<Int32> {
        elements.assumingMemoryBound(to: Int32.self)
    }

    /// Bytes of a `.uint8` or `.bool` tensor (bool elements are 0 or 1).
    @inline(__always) package var bytes: UnsafeMutablePointer<UInt8> {
        elements.assumingMemoryBound(to: UInt8.self)
    }

    /// The elements' bytes in row-major order, any dtype: `elements` (a packed copy for a
    /// strided view, read-only by contract).
    @inline(__always) package var rawBytes: UnsafeMutableRawPointer { elements }

    /// Element `i` (in row-major order of a contiguous tensor) as a Double, any dtype.
    @inline(__always) package func element(_ i: Int) -> Double {
        switch dtype {
        case .float32: Double(floats[i])
        case .float64: doubles[i]
        case .int64: Double(int64s[i])
        case .int32: Double(int32s[i])
        case .uint8, .bool: Double(bytes[i])
        }
    }

    /// The elements as a Swift array of Float (other dtypes are converted).
    public var scalars: [Float] {
        if dtype == .float32 { return Array(UnsafeBufferPointer(start: floats, count: count)) }
        return (0..<count).map { Float(element($0)) }
    }

    /// The elements as Int64 (float tensors are truncated toward zero).
    public var int64Scalars: [Int64] {
        if dtype == .int64 { return Array(UnsafeBufferPointer(start: int64s, count: count)) }
        if dtype == .float32 { return (0..<count).map { Int64(floats[$0]) } }
        return (0..<count).map { Int64(element($0)) }
    }

    /// The single element of a one-element tensor, as PyTorch's `item()`.
    public func item() throws -> Float {
        guard count == 1 else { throw SNNError.shape("item: tensor of shape \(fmt(shape)) has \(count) elements, expected exactly 1") }
        return Float(element(0))
    }

    /// The same elements in another shape of the same element count: sharing this tensor's
    /// storage when its strides allow (always, for a contiguous tensor), else a packed copy
    /// (PyTorch's reshape).
    func view(as newShape: [Int]) throws -> Tensor {
        if isContiguous {
            let v = Tensor(shape: newShape, dtype: dtype, storage: storage, offset: offset, count: count)
            v.isView = true
            v.viewBase = viewBase ?? self
            return v
        }
        if let s = viewStrides(newShape) { return restrided(newShape, s, offset: offset) }
        return try packed("reshape").view(as: newShape)
    }

    /// A copy with its own storage; the gradient flows back unchanged (PyTorch's CloneBackward).
    public func clone() throws -> Tensor {
        let t = try packed("clone", always: true)
        return t.traced(.clone, [self]).recorded("CloneBackward", [self], saves: [], readsOutput: false) { g in [g] }
    }

    func requireFloat(_ fn: String, _ what: String = "input") throws {
        guard dtype == .float32 else {
            throw SNNError.dtype("\(fn): \(what) has dtype \(dtype.name), expected float32")
        }
    }
}

extension Tensor {
    /// Copies `src`'s values into this tensor through its strides (same shape and dtype),
    /// unrecorded; bumps the storage's version.
    public func copyValues(from src: Tensor) throws {
        guard src.shape == shape, src.dtype == dtype else {
            throw SNNError.shape("copy_: source has shape \(fmt(src.shape)) \(src.dtype.name), destination \(fmt(shape)) \(dtype.name)")
        }
        if src === self || count == 0 { return }
        try requireWritable("copy_")
        writeElements(from: src)
    }
}

extension OpDef {
    /// clone is a copy; in an ONNX graph (values are immutable) the same value. ONNX Identity
    /// imports as the same tensor.
    static let clone = OpDef("clone", c: "snn_tensor_clone", python: "clone", differentiable: false, golden: [], export: { b, r in try b.alias(r) },
                             imports: ["Identity": { n in try n.unary { $0 } }])
}
