// Optimizer updates and gradient-norm reductions over one parameter's elements. SIMD8 loops;
// the last n % 8 elements go through the same lane function in a zero-padded vector, so the
// vector and tail paths share one formula. Callers validate that every buffer holds n floats.

@inline(__always)
private func loadTail(_ p: UnsafePointer<Float>, _ r: Int) -> SIMD8<Float> {
    var v = SIMD8<Float>()
    var j = 0
    while j < r { v[j] = p[j]; j &+= 1 }
    return v
}

@inline(__always)
private func storeTail(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ r: Int) {
    var j = 0
    while j < r { p[j] = v[j]; j &+= 1 }
}

// MARK: - SGD

/// SGD hyperparameters as the kernel uses them (float32, as PyTorch casts its Python scalars).
public struct SGDKernelParams: Sendable {
    public var lr: Float
    public var momentum: Float
    /// 1 - dampening, computed in double by the caller (PyTorch's `alpha=1 - dampening`).
    public var oneMinusDampening: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public var maximize: Bool

    public init(lr: Float, momentum: Float, oneMinusDampening: Float, weightDecay: Float, nesterov: Bool, maximize: Bool) {
        self.lr = lr
        self.momentum = momentum
        self.oneMinusDampening = oneMinusDampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.maximize = maximize
    }
}

// torch.optim.SGD (_single_tensor_sgd):
//   g = maximize ? -grad : grad;  g += wd * p
//   buf = first ? g : momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf;  p -= lr * g
@inline(__always)
private func sgdLane(_ p: SIMD8<Float>, _ grad: SIMD8<Float>, _ buf: SIMD8<Float>, _ h: SGDKernelParams,
             hasBuffer: Bool, first: Bool) -> (p: SIMD8<Float>, buf: SIMD8<Float>) {
    var g = h.maximize ? -grad : grad
    if h.weightDecay != 0 { g = g.addingProduct(h.weightDecay, p) }
    var b = buf
    if hasBuffer {
        b = first ? g : (buf * h.momentum).addingProduct(h.oneMinusDampening, g)
        g = h.nesterov ? g.addingProduct(h.momentum, b) : b
    }
    return (p.addingProduct(-h.lr, g), b)
}

/// One SGD step over `n` elements, in place. `buffer` is the momentum buffer (nil when
/// momentum is 0); with `firstStep` it is initialised to the gradient, as PyTorch does.
public func sgdUpdate(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                      buffer: UnsafeMutablePointer<Float>?, count n: Int, _ h: SGDKernelParams, firstStep: Bool) {
    let hasBuffer = buffer != nil
    let zero = SIMD8<Float>()
    var i = 0
    while i &+ 8 <= n {
        let b0 = buffer.map { load8($0 + i) } ?? zero
        let (p, b) = sgdLane(load8(param + i), load8(grad + i), b0, h, hasBuffer: hasBuffer, first: firstStep)
        store8(param + i, p)
        if let buffer { store8(buffer + i, b) }
        i &+= 8
    }
    let r = n &- i
    if r > 0 {
        let b0 = buffer.map { loadTail($0 + i, r) } ?? zero
        let (p, b) = sgdLane(loadTail(param + i, r), loadTail(grad + i, r), b0, h, hasBuffer: hasBuffer, first: firstStep)
        storeTail(p, param + i, r)
        if let buffer { storeTail(b, buffer + i, r) }
    }
}

// MARK: - Adam / AdamW

/// Adam hyperparameters for one step, float32; the bias corrections are folded in by the caller.
public struct AdamKernelParams: Sendable {
    /// 1 - beta1 (the lerp weight of the first moment).
    public var oneMinusBeta1: Float
    public var beta2: Float
    public var oneMinusBeta2: Float
    public var eps: Float
    /// L2 penalty added to the gradient (Adam); 0 when decoupled.
    public var weightDecay: Float
    /// Factor applied to the parameter before the update (AdamW: 1 - lr * wd); 1 otherwise.
    public var decay: Float
    /// sqrt(1 - beta2^t).
    public var biasCorrection2Sqrt: Float
    /// -lr / (1 - beta1^t).
    public var negStepSize: Float
    public var maximize: Bool

    public init(oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, eps: Float, weightDecay: Float, decay: Float,
                biasCorrection2Sqrt: Float, negStepSize: Float, maximize: Bool) {
        self.oneMinusBeta1 = oneMinusBeta1
        self.beta2 = beta2
        self.oneMinusBeta2 = oneMinusBeta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decay = decay
        self.biasCorrection2Sqrt = biasCorrection2Sqrt
        self.negStepSize = negStepSize
        self.maximize = maximize
    }
}

// torch.optim.Adam (_single_tensor_adam, non-capturable):
//   g = maximize ? -grad : grad;  AdamW: p *= 1 - lr*wd;  Adam: g += wd * p
//   m.lerp_(g, 1 - beta1);  v = v * beta2 + (1 - beta2) * g * g;  vmax = max(vmax, v)
//   p += -step_size * m / (sqrt(v or vmax) / sqrt(bc2) + eps)
@inline(__always)
private func adamLane(_ p0: SIMD8<Float>, _ grad: SIMD8<Float>, _ m0: SIMD8<Float>, _ v0: SIMD8<Float>, _ vmax0: SIMD8<Float>,
              _ h: AdamKernelParams, amsgrad: Bool) -> (p: SIMD8<Float>, m: SIMD8<Float>, v: SIMD8<Float>, vmax: SIMD8<Float>) {
    var g = h.maximize ? -grad : grad
    var p = p0
    if h.weightDecay != 0 { g = g.addingProduct(h.weightDecay, p) }
    if h.decay != 1 { p = p * h.decay }
    // lerp as ATen computes it: weight < 0.5 ? m + w (g - m) : g - (g - m)(1 - w)
    let w = h.oneMinusBeta1
    let m = w < 0.5 ? m0.addingProduct(w, g - m0) : g - (g - m0) * (1 - w)
    let v = (v0 * h.beta2).addingProduct(g * h.oneMinusBeta2, g)
    var vmax = vmax0
    var second = v
    if amsgrad {
        // torch.maximum propagates NaN; `.!(vmax0 .>= v)` also picks v when either is NaN.
        vmax = vmax0.replacing(with: v, where: .!(vmax0 .>= v))
        second = vmax
    }
    let denom = second.squareRoot() / h.biasCorrection2Sqrt + h.eps
    p = p.addingProduct(h.negStepSize, m / denom)
    return (p, m, v, vmax)
}

/// One Adam/AdamW step over `n` elements, in place. `maxExpAvgSq` non-nil means AMSGrad.
public func adamUpdate(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                       expAvg: UnsafeMutablePointer<Float>, expAvgSq: UnsafeMutablePointer<Float>,
                       maxExpAvgSq: UnsafeMutablePointer<Float>?, count n: Int, _ h: AdamKernelParams) {
    let amsgrad = maxExpAvgSq != nil
    let zero = SIMD8<Float>()
    var i = 0
    while i &+ 8 <= n {
        let vm0 = maxExpAvgSq.map { load8($0 + i) } ?? zero
        let r = adamLane(load8(param + i), load8(grad + i), load8(expAvg + i), load8(expAvgSq + i), vm0, h, amsgrad: amsgrad)
        store8(param + i, r.p)
        store8(expAvg + i, r.m)
        store8(expAvgSq + i, r.v)
        if let maxExpAvgSq { store8(maxExpAvgSq + i, r.vmax) }
        i &+= 8
    }
    let rest = n &- i
    if rest > 0 {
        let vm0 = maxExpAvgSq.map { loadTail($0 + i, rest) } ?? zero
        let r = adamLane(loadTail(param + i, rest), loadTail(grad + i, rest), loadTail(expAvg + i, rest),
                         loadTail(expAvgSq + i, rest), vm0, h, amsgrad: amsgrad)
        storeTail(r.p, param + i, rest)
        storeTail(r.m, expAvg + i, rest)
        storeTail(r.v, expAvgSq + i, rest)
        if let maxExpAvgSq { storeTail(r.vmax, maxExpAvgSq + i, rest) }
    }
}

// MARK: - Norms and scaling (gradient clipping)

/// Sum of squares, accumulated in double so that long gradients keep float32 precision.
public func sumOfSquaresInDouble(_ x: UnsafePointer<Float>, count n: Int) -> Double {
    var acc = SIMD8<Double>()
    var i = 0
    while i &+ 8 <= n {
        let v = SIMD8<Double>(load8(x + i))
        acc.addProduct(v, v)
        i &+= 8
    }
    let r = n &- i
    if r > 0 {
        let v = SIMD8<Double>(loadTail(x + i, r))
        acc.addProduct(v, v)
    }
    return acc.sum()
}

/// Largest absolute value (0 for n == 0); NaN if any element is NaN, as torch's inf-norm.
public func maxAbsoluteValue(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var m = SIMD8<Float>()
    var nan = SIMDMask<SIMD8<Float>.MaskStorage>()
    var i = 0
    while i &+ 8 <= n {
        let v = load8(x + i)
        m = pointwiseMax(m, pointwiseMax(v, -v))
        nan .|= v .!= v
        i &+= 8
    }
    let r = n &- i
    if r > 0 {
        let v = loadTail(x + i, r)
        m = pointwiseMax(m, pointwiseMax(v, -v))
        nan .|= v .!= v
    }
    return any(nan) ? .nan : m.max()
}

/// x *= c over n elements, in place.
public func scaleInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int, by c: Float) {
    var i = 0
    while i &+ 8 <= n {
        store8(x + i, load8(x + i) * c)
        i &+= 8
    }
    while i < n {
        x[i] *= c
        i &+= 1
    }
}
