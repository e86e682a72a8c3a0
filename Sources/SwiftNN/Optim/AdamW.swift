// AdamW (torch.optim.AdamW): Adam whose weight decay multiplies the parameter by 1 - lr * wd
// before the update instead of adding wd * p to the gradient. Default weight decay 1e-2.

public final class AdamW: Adam, @unchecked Sendable {
    /// PyTorch's AdamW defaults (Adam's, with weight_decay 1e-2).
    public static let defaultOptions = Adam.Options(weightDecay: 1e-2)

    /// An AdamW optimizer over `params` (float32 leaves, at least one).
    public init(_ params: [Tensor], _ options: Options = AdamW.defaultOptions) throws {
        try super.init(params, options, decoupledWeightDecay: true, name: "AdamW")
    }
}
