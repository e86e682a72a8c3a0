// ConvTranspose2d: the adjoint of Conv2d (upsampling by learned filters), weight
// [in, out / groups, kh, kw] as PyTorch's, initialised as PyTorch does (its fan-in is computed
// from weight.shape[1], i.e. out / groups * kh * kw).

public final class ConvTranspose2d: Module {
    public let inChannels: Int, outChannels: Int, groups: Int
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int), dilation: (Int, Int)
    public let weight: Tensor
    public let bias: Tensor?

    public init(inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true,
                dilation: (Int, Int) = (1, 1)) throws {
        let fn = "ConvTranspose2d"
        guard inChannels >= 1, outChannels >= 1, groups >= 1, inChannels % groups == 0, outChannels % groups == 0 else {
            throw SNNError.invalid("\(fn): in_channels \(inChannels) and out_channels \(outChannels) must be >= 1 and divisible by groups \(groups)")
        }
        guard kernelSize.0 >= 1, kernelSize.1 >= 1, stride.0 >= 1, stride.1 >= 1, padding.0 >= 0, padding.1 >= 0,
              dilation.0 >= 1, dilation.1 >= 1, outputPadding.0 >= 0, outputPadding.1 >= 0 else {
            throw SNNError.invalid("\(fn): kernel_size \(kernelSize), stride \(stride), dilation \(dilation) must be >= 1, padding \(padding) and output_padding \(outputPadding) >= 0")
        }
        guard outputPadding.0 < max(stride.0, dilation.0), outputPadding.1 < max(stride.1, dilation.1) else {
            throw SNNError.invalid("\(fn): output padding must be smaller than either stride or dilation, but got output_padding \(outputPadding), stride \(stride), dilation \(dilation)")
        }
        self.inChannels = inChannels; self.outChannels = outChannels; self.groups = groups
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        self.outputPadding = outputPadding; self.dilation = dilation
        let fanIn = try elementCount([outChannels / groups, kernelSize.0, kernelSize.1], fn)
        let b = defaultInitBound(fanIn: fanIn)
        weight = try Tensor.uniform([inChannels, outChannels / groups, kernelSize.0, kernelSize.1], low: -b, high: b)
        self.bias = bias ? try Tensor.uniform([outChannels], low: -b, high: b) : nil
        super.init()
        try registerParameter("weight", weight)
        if let bb = self.bias { try registerParameter("bias", bb) }
    }

    public override var typeName: String { "ConvTranspose2d" }
    public override var config: [(String, JSON)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)),
         ("kernel_size", .ints([kernelSize.0, kernelSize.1])), ("stride", .ints([stride.0, stride.1])),
         ("padding", .ints([padding.0, padding.1])), ("output_padding", .ints([outputPadding.0, outputPadding.1])),
         ("dilation", .ints([dilation.0, dilation.1])), ("groups", .int(groups)), ("bias", .bool(bias != nil))]
    }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try convTranspose2d(x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                            groups: groups, dilation: dilation)
    }
}
