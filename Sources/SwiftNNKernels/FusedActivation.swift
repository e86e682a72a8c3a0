// The activation a fused inference convolution applies to its output block while the block is
// still in cache (instead of a separate pass over the whole tensor).

/// An activation applied in place after a convolution's bias: ReLU, a clamp (ReLU6, ONNX Clip,
/// Hardtanh), Hardswish or SiLU, each as PyTorch defines it.
public enum FusedActivation: Sendable, Equatable {
    case none
    case relu
    case clamp(Float, Float)
    case hardswish
    case silu

    /// Applies the activation to p[0..<count] in place.
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .none:
            return
        case .relu:
            // max(x, 0) keeps NaN as PyTorch's relu does (x < 0 is false for NaN).
            clampInPlace(p, count, lo: 0, hi: .infinity)
        case .clamp(let lo, let hi):
            clampInPlace(p, count, lo: lo, hi: hi)
        case .hardswish:
            // x * min(max(x + 3, 0), 6) / 6
            map(p, count) { x in
                var r = x + 3
                r = r.replacing(with: 0, where: r .< 0)
                r = r.replacing(with: 6, where: r .> 6)
                return x * r / 6
            }
        case .silu:
            // x / (1 + e^-x): silu(-100) is -0 as in PyTorch.
            map(p, count) { x in x / (exp8(-x) + 1) }
        }
    }

    /// max(lo, min(hi, x)) in place, NaN kept, as the closure-based `map` would give: written
    /// out because the clamp's closure (it captures the bounds) was not inlined, and a call per
    /// 8 floats made ReLU6 8% of an eager MobileNetV2 forward at batch 1.
    private func clampInPlace(_ p: UnsafeMutablePointer<Float>, _ count: Int, lo: Float, hi: Float) {
        let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
        var i = 0
        while i &+ 16 <= count {
            var a = load8(p + i), b = load8(p + (i &+ 8))
            a = a.replacing(with: l, where: a .< l).replacing(with: h, where: a .> h)
            b = b.replacing(with: l, where: b .< l).replacing(with: h, where: b .> h)
            store8(p + i, a)
            store8(p + (i &+ 8), b)
            i &+= 16
        }
        while i < count {
            let rest = min(8, count &- i)
            var a = load8(p + i, rest)
            a = a.replacing(with: l, where: a .< l).replacing(with: h, where: a .> h)
            store8(p + i, a, rest)
            i &+= rest
        }
    }

    @inline(__always)
    private func map(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i &+ 8 <= count {
            store8(p + i, f(load8(p + i)))
            i &+= 8
        }
        if i < count {
            let rest = count &- i
            store8(p + i, f(load8(p + i, rest)), rest)
        }
    }
}
