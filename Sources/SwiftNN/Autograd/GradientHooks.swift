// Hooks on a tensor's gradient (PyTorch's Tensor.register_hook): backward hands each hook the
// gradient arriving at the tensor and continues with what the hook returns (nil: unchanged).
// On a leaf they run before the gradient is accumulated into .grad; on a non-leaf, when the
// gradient reaches the node that produced the tensor, before its pullback and before
// retain_grad stores it (as PyTorch runs retains_grad last). The Python module backward hooks
// (register_full_backward_hook) are built on these.
import Synchronization

/// A gradient hook: the gradient in, a replacement of the same shape and dtype or nil out.
public typealias GradientHook = (Tensor) throws -> Tensor?

/// A hook as stored: its id (for removal) and the closure.
struct RegisteredGradientHook {
    let id: Int
    let body: GradientHook
}

private let nextHookID = Atomic<Int>(1)

extension Tensor {
    /// Registers `hook` on this tensor's gradient and returns its id (for `removeHook`). On a
    /// non-leaf the hook belongs to the node that produced the tensor now: an in-place op
    /// afterwards gives the tensor a new node, and the hook keeps seeing the gradient of the
    /// value it was registered on. The graph's release after backward drops non-leaf hooks.
    @discardableResult
    public func registerHook(_ hook: @escaping GradientHook) throws -> Int {
        guard requiresGrad else {
            throw SNNError(.autograd, "register_hook: cannot register a hook on a tensor that doesn't require gradient (shape \(fmt(shape)))")
        }
        let entry = RegisteredGradientHook(id: nextHookID.add(1, ordering: .relaxed).oldValue, body: hook)
        if let node = gradFn {
            node.gradientHooks.append(entry)
        } else {
            gradientHooks.append(entry)
        }
        return entry.id
    }

    /// Removes the hook with this id from the tensor or its node; false if it is not there
    /// (removed already, or its graph released).
    @discardableResult
    public func removeHook(_ id: Int) -> Bool {
        if let i = gradientHooks.firstIndex(where: { $0.id == id }) {
            gradientHooks.remove(at: i)
            return true
        }
        if let node = gradFn, let i = node.gradientHooks.firstIndex(where: { $0.id == id }) {
            node.gradientHooks.remove(at: i)
            return true
        }
        return false
    }
}

/// Runs `hooks` in registration order on `g`, each on the previous one's result, checking
/// that a replacement has the gradient's shape and dtype.
func applyGradientHooks(_ hooks: [RegisteredGradientHook], _ g: Tensor, shape: [Int], dtype: DType) throws -> Tensor {
    var g = g
    for hook in hooks {
        guard let r = try hook.body(g) else { continue }
        guard r.shape == shape, r.dtype == dtype else {
            throw SNNError(.shapeMismatch, "backward: a gradient hook returned a tensor of shape \(fmt(r.shape)) \(r.dtype.name) for a gradient of shape \(fmt(shape)) \(dtype.name); return one of the same shape and dtype, or None to keep the gradient")
        }
        g = r
    }
    return g
}
