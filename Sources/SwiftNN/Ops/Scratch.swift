// Temporary per-channel buffers for the normalisation and convolution ops. Sizes come from
// caller-controlled shapes, so allocation goes through Storage: too large is an error, not a trap.

/// A zeroed buffer of `count` Doubles, alive as long as the value.
struct DoubleScratch {
    private let storage: Storage
    let pointer: UnsafeMutablePointer<Double>

    init(_ count: Int, _ fn: String) throws {
        guard count >= 0, count <= maxElementCount else {
            throw SNNError(.outOfMemory, "\(fn): \(count) per-channel values exceed the limit of 2^40")
        }
        storage = try Storage(byteCount: count * 8, zeroed: true)
        pointer = storage.raw.bindMemory(to: Double.self, capacity: max(count, 1))
    }

    subscript(_ i: Int) -> Double { pointer[i] }
}

/// A zeroed float32 vector of `count` elements (per-channel constants handed to kernels).
func floatScratch(_ count: Int, _ fn: String) throws -> Tensor {
    try Tensor(empty: [count], dtype: .float32, zeroed: true, fn)
}

/// Fails unless every dimension of `t` is at most 2^40. Tensors with a zero dimension can have
/// arbitrarily large other dimensions; sliding-window arithmetic must not overflow on them.
func requireBoundedDims(_ t: Tensor, _ name: String, _ fn: String) throws {
    guard t.shape.allSatisfy({ $0 <= maxElementCount }) else {
        throw SNNError.invalid("\(fn): \(name) has shape \(fmt(t.shape)); every dimension must be at most 2^40")
    }
}
