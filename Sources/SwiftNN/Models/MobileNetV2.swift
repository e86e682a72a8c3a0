// MobileNetV2 (Sandler et al. 2018) as torchvision builds it, with torchvision's parameter
// names (`features.0.0.weight`, `features.1.conv.0.0.weight`, `classifier.1.weight`), so its
// ImageNet checkpoint loads as is. Built from the engine's layers; only the inverted residual
// block (a skip connection) and the pooling between features and classifier are code here.

/// torchvision's `_make_divisible`: channels rounded to a multiple of `divisor`, never more
/// than 10% below `v`.
func makeDivisible(_ v: Double, _ divisor: Int = 8) -> Int {
    var n = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < 0.9 * v { n += divisor }
    return n
}

/// torchvision's Conv2dNormActivation: Conv2d (no bias) + BatchNorm2d + ReLU6, a Sequential
/// named "0", "1", "2", so its keys are `<path>.0.weight`, `<path>.1.running_mean`.
func convBNReLU6(_ inC: Int, _ outC: Int, kernel: Int = 3, stride: Int = 1, groups: Int = 1) throws -> Sequential {
    let pad = (kernel - 1) / 2
    return Sequential([
        try Conv2d(inChannels: inC, outChannels: outC, kernelSize: (kernel, kernel), stride: (stride, stride),
                   padding: (pad, pad), groups: groups, bias: false),
        try BatchNorm(numFeatures: outC),
        ReLU6(),
    ])
}

/// The inverted residual block: 1x1 expansion (skipped when expand_ratio is 1), 3x3 depthwise,
/// 1x1 linear projection; the input is added back when the shape is unchanged.
public final class InvertedResidual: Module {
    public let inChannels: Int, outChannels: Int, stride: Int, expandRatio: Int
    /// stride 1 and as many channels out as in: out = x + conv(x).
    public let useResidual: Bool
    let conv: Sequential

    public init(inChannels: Int, outChannels: Int, stride: Int, expandRatio: Int) throws {
        guard inChannels >= 1, outChannels >= 1, stride == 1 || stride == 2, expandRatio >= 1 else {
            throw SNNError.invalid("InvertedResidual: in_channels \(inChannels) and out_channels \(outChannels) must be >= 1, stride \(stride) 1 or 2, expand_ratio \(expandRatio) >= 1")
        }
        self.inChannels = inChannels; self.outChannels = outChannels; self.stride = stride; self.expandRatio = expandRatio
        useResidual = stride == 1 && inChannels == outChannels
        let hidden = inChannels * expandRatio
        var layers: [Module] = []
        if expandRatio != 1 { layers.append(try convBNReLU6(inChannels, hidden, kernel: 1)) }
        layers.append(try convBNReLU6(hidden, hidden, stride: stride, groups: hidden))
        layers.append(try Conv2d(inChannels: hidden, outChannels: outChannels, kernelSize: (1, 1), bias: false))
        layers.append(try BatchNorm(numFeatures: outChannels))
        conv = Sequential(layers)
        super.init()
        registerChild("conv", conv)
    }

    public override var typeName: String { "InvertedResidual" }
    public override var config: [(String, JSON)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)), ("stride", .int(stride)),
         ("expand_ratio", .int(expandRatio))]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try conv(x)
        return useResidual ? try add(x, y) : y
    }

    static func build(_ c: JSON) throws -> Module {
        let r = ConfigReader(c, "InvertedResidual")
        return try InvertedResidual(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                                    stride: try r.int("stride"), expandRatio: try r.int("expand_ratio"))
    }
}

/// torchvision.models.mobilenet_v2: `features` (a Sequential of 19 blocks: stem convolution,
/// 17 inverted residual blocks, 1x1 convolution to 1280 channels), global average pooling,
/// `classifier` (Dropout, Linear). Input [N, 3, H, W] (224 x 224 for ImageNet), output logits
/// [N, num_classes].
public final class MobileNetV2: Module {
    public let numClasses: Int, widthMult: Double, dropout: Double
    public let features: Sequential, classifier: Sequential

    /// (expansion t, channels c, repeats n, first stride s), torchvision's table.
    static let settings: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]

    public init(numClasses: Int = 1000, widthMult: Double = 1.0, dropout: Double = 0.2) throws {
        guard (1...1_000_000).contains(numClasses) else {
            throw SNNError.invalid("MobileNetV2: num_classes \(numClasses) out of range (1...1000000)")
        }
        guard widthMult.isFinite, widthMult >= 0.1, widthMult <= 4 else {
            throw SNNError.invalid("MobileNetV2: width_mult \(widthMult) out of range (0.1...4)")
        }
        self.numClasses = numClasses; self.widthMult = widthMult; self.dropout = dropout
        var input = makeDivisible(32 * widthMult)
        let last = makeDivisible(1280 * max(1.0, widthMult))
        var blocks: [Module] = [try convBNReLU6(3, input, stride: 2)]
        for s in MobileNetV2.settings {
            let out = makeDivisible(Double(s.c) * widthMult)
            for i in 0..<s.n {
                blocks.append(try InvertedResidual(inChannels: input, outChannels: out, stride: i == 0 ? s.s : 1, expandRatio: s.t))
                input = out
            }
        }
        blocks.append(try convBNReLU6(input, last, kernel: 1))
        features = Sequential(blocks)
        classifier = Sequential([try Dropout(p: dropout), try Linear(inFeatures: last, outFeatures: numClasses)])
        super.init()
        registerChild("features", features)
        registerChild("classifier", classifier)
    }

    public override var typeName: String { "MobileNetV2" }
    public override var config: [(String, JSON)] {
        [("num_classes", .int(numClasses)), ("width_mult", .number(widthMult)), ("dropout", .number(dropout))]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw SNNError.shape("MobileNetV2: expected an input [N, 3, H, W], got \(fmt(x.shape))")
        }
        guard x.shape[2] >= 32, x.shape[3] >= 32 else {
            throw SNNError.shape("MobileNetV2: input \(fmt(x.shape)) is smaller than 32 x 32, which the five stride-2 stages reduce to nothing")
        }
        let f = try features(x)
        let pooled = try flatten(try adaptiveAvgPool2d(f, outputSize: (1, 1)), startDim: 1)
        return try classifier(pooled)
    }

    static func build(_ c: JSON) throws -> Module {
        let r = ConfigReader(c, "MobileNetV2")
        return try MobileNetV2(numClasses: try r.int("num_classes", 1000), widthMult: try r.double("width_mult", 1.0),
                               dropout: try r.double("dropout", 0.2))
    }

    /// A MobileNetV2 with the weights of a safetensors file (PyTorch names, strict: a
    /// checkpoint of another architecture is refused with its missing and unexpected keys).
    public static func pretrained(path: String, numClasses: Int = 1000, widthMult: Double = 1.0, dropout: Double = 0.2) throws -> MobileNetV2 {
        let m = try MobileNetV2(numClasses: numClasses, widthMult: widthMult, dropout: dropout)
        let file = try SafeTensors.read(path: path)
        do {
            try m.loadStateDict(file.tensors.map { ($0.name, $0.tensor) }, strict: true)
        } catch let e as SNNError {
            throw SNNError(e.status, "MobileNetV2: the weights in '\(path)' do not fit torchvision's MobileNetV2 (num_classes \(numClasses), width_mult \(widthMult)): \(e.message)")
        }
        m.train(false)
        return m
    }
}
