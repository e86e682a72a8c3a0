// What ops with a float32 and a float64 form share: the dtype check that names both, and a
// typed pointer for either, so that one generic kernel serves both dtypes (Swift specialises
// it per type inside the module, so the float32 instance is the loop it always was).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float and Double, as element types of kernels written once for both dtypes, with the libm
/// functions such kernels call (logf or log, ...).
protocol TensorFloat: BinaryFloatingPoint {
    static var dtype: DType { get }
    static func log(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
}

extension Float: TensorFloat {
    static var dtype: DType { .float32 }
    @inline(__always) static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func log1p(_ x: Float) -> Float { log1pf(x) }
}

extension Double: TensorFloat {
    static var dtype: DType { .float64 }
    @inline(__always) static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
}

extension Tensor {
    /// Throws unless this tensor is float32 or float64, naming `fn` and `what`.
    func requireFloating(_ fn: String, _ what: String = "input") throws {
        guard dtype == .float32 || dtype == .float64 else {
            throw SNNError.dtype("\(fn): \(what) has dtype \(dtype.name), expected float32 or float64")
        }
    }

    /// Throws unless `other` (when given) has this tensor's dtype: PyTorch's fused ops take one
    /// floating dtype for all their tensor arguments.
    func requireSameDType(_ other: Tensor?, _ fn: String, _ what: String, _ mine: String = "input") throws {
        guard let other, other.dtype != dtype else { return }
        throw SNNError.dtype("\(fn): \(what) has dtype \(other.dtype.name) but \(mine) has \(dtype.name); expected one floating dtype (convert with to())")
    }

    /// The elements as T (`floats` or `doubles`); the caller has checked the dtype.
    @inline(__always) func typed<T: TensorFloat>(_: T.Type) -> UnsafeMutablePointer<T> {
        elements.assumingMemoryBound(to: T.self)
    }
}
