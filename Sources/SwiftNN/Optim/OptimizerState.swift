// Optimizer state in and out, as PyTorch's optimizer.state_dict()["state"]: entries
// (parameter number, key, tensor), parameters numbered across groups in order, keys as PyTorch
// names them ("step", "exp_avg", "momentum_buffer", ...), so a run resumed from saved state
// continues bit for bit and a checkpoint maps onto PyTorch's layout.

extension Optimizer {
    /// One entry of the state: parameter `param` (numbered across groups), PyTorch's key, and
    /// the live tensor the next step updates (callers copy it before handing it out).
    public struct StateEntry {
        public let param: Int
        public let key: String
        public let value: Tensor
    }

    /// Every state entry, parameter by parameter, keys in PyTorch's order.
    public func stateEntries() throws -> [StateEntry] {
        try lock.withLock {
            var out: [StateEntry] = []
            var n = 0
            for (g, params) in groupParameters.enumerated() {
                for i in params.indices {
                    for (k, v) in try stateTensors(group: g, index: i) { out.append(StateEntry(param: n, key: k, value: v)) }
                    n += 1
                }
            }
            return out
        }
    }

    /// Sets one state entry from `value` (copied). `param` numbers parameters across groups;
    /// `key` must be one this optimizer keeps for that parameter's group, with the parameter's
    /// shape (a scalar for "step"). Entries not set stay as a fresh state would have them.
    public func setState(param: Int, key: String, value: Tensor) throws {
        let fn = "\(name).load_state_dict"
        try lock.withLock {
            var n = param
            for (g, params) in groupParameters.enumerated() {
                if n < params.count {
                    let p = params[n]
                    let scalar = key == "step"
                    let want = scalar ? [] : p.shape
                    guard value.shape == want || (scalar && value.count == 1) else {
                        throw SNNError.shape("\(fn): state '\(key)' of parameter \(param) has shape \(fmt(value.shape)); expected \(fmt(want)) (the parameter's shape\(scalar ? ": a scalar" : ""))")
                    }
                    guard value.dtype == .float32 || (scalar && value.dtype == .int64) else {
                        throw SNNError.dtype("\(fn): state '\(key)' of parameter \(param) has dtype \(value.dtype.name); expected float32")
                    }
                    try loadState(group: g, index: n, key: key, value: value, fn)
                    return
                }
                n -= params.count
            }
            throw SNNError.range("\(fn): parameter \(param) out of range (the optimizer has \(groupParameters.joined().count) parameters)")
        }
    }
}

/// Copies `src`'s float32 values into a new tensor of `shape` (the state owns its buffers).
func stateCopy(_ src: Tensor, _ shape: [Int], _ fn: String) throws -> Tensor {
    let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
    for i in 0..<t.count { t.floats[i] = Float(src.element(i)) }
    return t
}

/// The step count as PyTorch stores it: a float32 scalar tensor.
func stepTensor(_ step: Int) throws -> Tensor { try Tensor([Float(step)], shape: []) }

/// A loaded "step": a non-negative whole number.
func stepValue(_ value: Tensor, _ fn: String) throws -> Int {
    let v = value.element(0)
    guard v >= 0, v == v.rounded(), v < 1e15 else {
        throw SNNError.invalid("\(fn): state 'step' is \(v); expected a whole number >= 0")
    }
    return Int(v)
}
