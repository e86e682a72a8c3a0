// Conv2d: 2-D cross-correlation over NCHW inputs with weight [out, in/groups, kh, kw].

public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, groups: Int
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let weight: Tensor
    public let bias: Tensor?

    public init(inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) throws {
        let fn = "Conv2d"
        guard inChannels >= 1, outChannels >= 1, groups >= 1 else {
            throw SNNError.invalid("\(fn): in_channels \(inChannels), out_channels \(outChannels) and groups \(groups) must be >= 1")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw SNNError.invalid("\(fn): groups \(groups) must divide in_channels \(inChannels) and out_channels \(outChannels)")
        }
        guard kernelSize.0 >= 1, kernelSize.1 >= 1, stride.0 >= 1, stride.1 >= 1, padding.0 >= 0, padding.1 >= 0,
              dilation.0 >= 1, dilation.1 >= 1 else {
            throw SNNError.invalid("\(fn): kernel_size \(kernelSize), stride \(stride), dilation \(dilation) must be >= 1 and padding \(padding) >= 0")
        }
        self.inChannels = inChannels; self.outChannels = outChannels; self.groups = groups
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding; self.dilation = dilation
        let fanIn = try elementCount([inChannels / groups, kernelSize.0, kernelSize.1], fn)
        let b = defaultInitBound(fanIn: fanIn)
        weight = try Tensor.uniform([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], low: -b, high: b)
        self.bias = bias ? try Tensor.uniform([outChannels], low: -b, high: b) : nil
        super.init()
        try registerParameter("weight", weight)
        if let bb = self.bias { try registerParameter("bias", bb) }
    }

    public override var typeName: String { "Conv2d" }
    public override var config: [(String, JSON)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)),
         ("kernel_size", .ints([kernelSize.0, kernelSize.1])), ("stride", .ints([stride.0, stride.1])),
         ("padding", .ints([padding.0, padding.1])), ("dilation", .ints([dilation.0, dilation.1])),
         ("groups", .int(groups)), ("bias", .bool(bias != nil))]
    }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
