// ReLU and ReLU6 (Hardtanh(0, 6)) on the training path, forward and gradient, one vector pass
// each: through the generic per-element closures of unaryMap and broadcastBinary they were 6% of
// a MobileNetV2 training step. The selects are those of the scalar definitions in Clamp.swift,
// so NaN and -0 come out as before.

/// dst[i] = src[i] < 0 ? 0 : (src[i] > hi ? hi : src[i]) (no upper bound when hi is nil).
public func rectify(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, hi: Float?) {
    let zero = SIMD8<Float>(), h = SIMD8<Float>(repeating: hi ?? 0)
    var i = 0
    if hi != nil {
        while i &+ 8 <= count {
            let v = load8(src + i)
            let r = v.replacing(with: zero, where: v .< zero)
            store8(dst + i, r.replacing(with: h, where: r .> h))
            i &+= 8
        }
    } else {
        while i &+ 8 <= count {
            let v = load8(src + i)
            store8(dst + i, v.replacing(with: zero, where: v .< zero))
            i &+= 8
        }
    }
    while i < count {
        let x = src[i]
        dst[i] = x < 0 ? 0 : (hi.map { x > $0 ? $0 : x } ?? x)
        i &+= 1
    }
}

/// dst[i] = (x[i] <= 0 || x[i] >= hi) ? 0 : g[i] (no upper bound when hi is nil): the gradient
/// of `rectify` (for ReLU x may be the output, which is <= 0 exactly where the input is).
public func rectifierGradient(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                              count: Int, hi: Float?) {
    let zero = SIMD8<Float>(), h = SIMD8<Float>(repeating: hi ?? .infinity)
    var i = 0
    if hi != nil {
        while i &+ 8 <= count {
            let v = load8(x + i)
            store8(dst + i, load8(g + i).replacing(with: zero, where: (v .<= zero) .| (v .>= h)))
            i &+= 8
        }
    } else {
        while i &+ 8 <= count {
            store8(dst + i, load8(g + i).replacing(with: zero, where: load8(x + i) .<= zero))
            i &+= 8
        }
    }
    while i < count {
        let v = x[i]
        dst[i] = v <= 0 || (hi.map { v >= $0 } ?? false) ? 0 : g[i]
        i &+= 1
    }
}
