// Type promotion exactly as PyTorch's torch.result_type: the one function binary ops (and the
// comparisons) call first to pick the dtype both operands are converted to.

/// PyTorch's dtype categories, in promotion order.
enum DTypeCategory: Int, Comparable {
    case bool, integer, floating
    static func < (a: DTypeCategory, b: DTypeCategory) -> Bool { a.rawValue < b.rawValue }
}

extension DType {
    var category: DTypeCategory {
        switch self {
        case .bool: .bool
        case .uint8, .int32, .int64: .integer
        case .float32, .float64: .floating
        }
    }

    /// Rank within a category: a wider type holds every value of a narrower one here
    /// (uint8 < int32 < int64, float32 < float64), so the larger rank is the promotion.
    private var width: Int {
        switch self {
        case .bool: 0
        case .uint8: 1
        case .int32: 2
        case .int64: 3
        case .float32: 4
        case .float64: 5
        }
    }

    /// torch.promote_types(a, b): the smallest dtype both convert to (with six dtypes and no
    /// int8, the wider one in the larger category).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a.category != b.category { return a.category > b.category ? a : b }
        return a.width >= b.width ? a : b
    }
}

/// torch.result_type(a, b), PyTorch's three tiers: tensors with dimensions decide over 0-dim
/// tensors, which decide over Python numbers (`isWrappedNumber`), unless a lower tier has a
/// higher category: then the lower tier's dtype joins (a float wrapped number as float32, the
/// default dtype). So `int32 tensor * 2.5` is float32, `uint8 tensor + 300` is uint8,
/// `int64 tensor + 0-dim float64 tensor` is float64, `bool tensor + 1` is int64.
public func promote(_ a: Tensor, _ b: Tensor) -> DType {
    var dims: DType? = nil, zeroDim: DType? = nil, wrapped: DType? = nil
    for t in [a, b] {
        if t.isWrappedNumber {
            let d = t.dtype.isFloatingPoint ? DType.float32 : t.dtype
            wrapped = wrapped.map { DType.promoted($0, d) } ?? d
        } else if t.rank > 0 {
            dims = dims.map { DType.promoted($0, t.dtype) } ?? t.dtype
        } else {
            zeroDim = zeroDim.map { DType.promoted($0, t.dtype) } ?? t.dtype
        }
    }
    // PyTorch's combine_categories(higher, lower).
    func combine(_ higher: DType?, _ lower: DType?) -> DType? {
        guard let higher else { return lower }
        guard let lower else { return higher }
        if higher.isFloatingPoint { return higher }
        if higher == .bool || lower.isFloatingPoint { return DType.promoted(higher, lower) }
        return higher
    }
    return combine(dims, combine(zeroDim, wrapped)) ?? a.dtype
}

extension Tensor {
    /// A host-language number as a 0-dim wrapped number (float64): in promotion it counts only
    /// as "floating", so `int tensor * number(2.5)` is float32, as `int_tensor * 2.5` in PyTorch.
    public static func number(_ value: Double) throws -> Tensor {
        let t = try Tensor(empty: [], dtype: .float64, zeroed: false, "number")
        t.doubles[0] = value
        t.isWrappedNumber = true
        return t
    }

    /// An integer number (int64): never widens an integer tensor (`uint8 tensor + 300` is uint8).
    public static func number(_ value: Int64) throws -> Tensor {
        let t = try Tensor(int64: [value], shape: [])
        t.isWrappedNumber = true
        return t
    }

    /// A bool number.
    public static func number(_ value: Bool) throws -> Tensor {
        let t = try Tensor(empty: [], dtype: .bool, zeroed: false, "number")
        t.bytes[0] = value ? 1 : 0
        t.isWrappedNumber = true
        return t
    }
}
