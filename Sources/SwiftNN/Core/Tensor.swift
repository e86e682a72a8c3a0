// The tensor: a shape, a dtype and reference-counted contiguous row-major storage, plus the
// autograd fields (requiresGrad, grad, the node that produced it). Views share storage.

/// Element types. Values are part of the ABI (`snn_dtype`).
public enum DType: Int32, Sendable {
    case float32 = 0
    case int64 = 1

    var byteSize: Int { self == .float32 ? 4 : 8 }
    var name: String { self == .float32 ? "float32" : "int64" }
}

public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let dtype: DType
    public let count: Int
    let storage: Storage
    /// Offset in elements into `storage` (views of a leading slice share storage).
    let offset: Int

    /// Whether gradients flow to this tensor. Only float tensors may require gradients.
    public internal(set) var requiresGrad: Bool = false
    /// Accumulated gradient of a leaf (or a tensor that asked to retain it).
    public var grad: Tensor?
    /// The operation that produced this tensor, when it was recorded for autograd.
    var gradFn: GradFn?
    /// Created by the user rather than by a recorded operation.
    public internal(set) var isLeaf: Bool = true
    /// Keep `grad` on a non-leaf after backward (PyTorch's `retain_grad()`).
    public var retainsGrad: Bool = false
    /// Set on a non-leaf whose graph was freed by a backward pass.
    var graphFreed: Bool = false

    public var rank: Int { shape.count }

    init(shape: [Int], dtype: DType, storage: Storage, offset: Int = 0, count: Int) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.count = count
    }

    /// A new uninitialised (or zeroed) tensor. Throws on invalid or too large shapes.
    public convenience init(empty shape: [Int], dtype: DType = .float32, zeroed: Bool = false, _ fn: String = "Tensor") throws {
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

    /// Float elements. Only valid for `.float32` tensors (callers check `dtype`).
    @inline(__always) package var floats: UnsafeMutablePointer<Float> {
        storage.raw.assumingMemoryBound(to: Float.self) + offset
    }

    /// Int64 elements. Only valid for `.int64` tensors.
    @inline(__always) package var int64s: UnsafeMutablePointer<Int64> {
        storage.raw.assumingMemoryBound(to: Int64.self) + offset
    }

    /// The elements as a Swift array of Float (int64 tensors are converted).
    public var scalars: [Float] {
        if dtype == .float32 { return Array(UnsafeBufferPointer(start: floats, count: count)) }
        return (0..<count).map { Float(int64s[$0]) }
    }

    /// The elements of an int64 tensor (float tensors are truncated).
    public var int64Scalars: [Int64] {
        if dtype == .int64 { return Array(UnsafeBufferPointer(start: int64s, count: count)) }
        return (0..<count).map { Int64(floats[$0]) }
    }

    /// The single element of a one-element tensor, as PyTorch's `item()`.
    public func item() throws -> Float {
        guard count == 1 else { throw SNNError.shape("item: tensor of shape \(fmt(shape)) has \(count) elements, expected exactly 1") }
        return dtype == .float32 ? floats[0] : Float(int64s[0])
    }

    /// A tensor sharing this one's storage with another shape of the same element count.
    func view(as newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, dtype: dtype, storage: storage, offset: offset, count: count)
    }

    /// A copy with its own storage and no autograd history.
    public func clone() throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: dtype, zeroed: false, "clone")
        if count > 0 { t.storage.raw.copyMemory(from: storage.raw + offset * dtype.byteSize, byteCount: count * dtype.byteSize) }
        return t.traced(.clone, [self])
    }

    func requireFloat(_ fn: String, _ what: String = "input") throws {
        guard dtype == .float32 else {
            throw SNNError.dtype("\(fn): \(what) has dtype \(dtype.name), expected float32")
        }
    }
}

extension Tensor {
    /// Copies `src`'s values into this tensor's storage (same shape and dtype), unrecorded.
    public func copyValues(from src: Tensor) throws {
        guard src.shape == shape, src.dtype == dtype else {
            throw SNNError.shape("copy_: source has shape \(fmt(src.shape)) \(src.dtype.name), destination \(fmt(shape)) \(dtype.name)")
        }
        if src === self || count == 0 { return }
        storage.raw.advanced(by: offset * dtype.byteSize)
            .copyMemory(from: src.storage.raw.advanced(by: src.offset * src.dtype.byteSize), byteCount: count * dtype.byteSize)
    }
}

extension OpDef {
    /// clone is a copy; in an ONNX graph (values are immutable) the same value. ONNX Identity
    /// imports as the same tensor.
    static let clone = OpDef("clone", c: "snn_tensor_clone", python: "clone", differentiable: false, golden: [], export: { b, r in try b.alias(r) },
                             imports: ["Identity": { n in try n.unary { $0 } }])
}
