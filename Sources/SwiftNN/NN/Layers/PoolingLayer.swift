// Pooling modules: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (torch.nn's arguments).

public final class MaxPool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let ceilMode: Bool

    /// `stride` nil means the kernel size, as in PyTorch.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize
        self.padding = padding; self.dilation = dilation; self.ceilMode = ceilMode
        super.init()
    }

    public override var typeName: String { "MaxPool2d" }
    public override var config: [(String, JSON)] {
        [("kernel_size", .ints([kernelSize.0, kernelSize.1])), ("stride", .ints([stride.0, stride.1])),
         ("padding", .ints([padding.0, padding.1])), ("dilation", .ints([dilation.0, dilation.1])), ("ceil_mode", .bool(ceilMode))]
    }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

public final class AvgPool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public let ceilMode: Bool, countIncludePad: Bool

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
        super.init()
    }

    public override var typeName: String { "AvgPool2d" }
    public override var config: [(String, JSON)] {
        [("kernel_size", .ints([kernelSize.0, kernelSize.1])), ("stride", .ints([stride.0, stride.1])),
         ("padding", .ints([padding.0, padding.1])), ("ceil_mode", .bool(ceilMode)), ("count_include_pad", .bool(countIncludePad))]
    }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public init(outputSize: (Int, Int)) { self.outputSize = outputSize; super.init() }
    public override var typeName: String { "AdaptiveAvgPool2d" }
    public override var config: [(String, JSON)] { [("output_size", .ints([outputSize.0, outputSize.1]))] }
    public override func forward(_ x: Tensor) throws -> Tensor { try adaptiveAvgPool2d(x, outputSize: outputSize) }
}
