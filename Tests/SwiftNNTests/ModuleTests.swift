// Modules and checkpoints: the lecture's parameter count, PyTorch state dicts loading into
// our layers with PyTorch's outputs, checkpoints rebuilding models from metadata, and a
// training loop that learns.
import Testing
@testable import SwiftNN

func lenet5() throws -> Sequential {
    Sequential([
        try Conv2d(inChannels: 1, outChannels: 6, kernelSize: (5, 5), padding: (2, 2)), ReLU(), MaxPool2d(kernelSize: (2, 2)),
        try Conv2d(inChannels: 6, outChannels: 16, kernelSize: (5, 5)), ReLU(), MaxPool2d(kernelSize: (2, 2)),
        Flatten(), try Linear(inFeatures: 400, outFeatures: 120), ReLU(), try Linear(inFeatures: 120, outFeatures: 84), ReLU(),
        try Linear(inFeatures: 84, outFeatures: 10),
    ])
}

func bnNet() throws -> Sequential {
    Sequential([
        try Conv2d(inChannels: 3, outChannels: 8, kernelSize: (3, 3), padding: (1, 1), bias: false), try BatchNorm(numFeatures: 8), ReLU(),
        try Conv2d(inChannels: 8, outChannels: 8, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), groups: 2),
        try BatchNorm(numFeatures: 8), LeakyReLU(negativeSlope: 0.1),
        AvgPool2d(kernelSize: (2, 2), ceilMode: true), AdaptiveAvgPool2d(outputSize: (2, 2)), Flatten(),
        try Dropout(p: 0.3), try Linear(inFeatures: 32, outFeatures: 16), try BatchNorm(numFeatures: 16, spatialDims: 1), Tanh(),
        try Linear(inFeatures: 16, outFeatures: 5),
    ])
}

@Test func theLecturesNetworkHas160650Parameters() throws {
    let net = Sequential([
        try Conv2d(inChannels: 3, outChannels: 64, kernelSize: (5, 5), padding: (2, 2)), MaxPool2d(kernelSize: (2, 2)),
        try Conv2d(inChannels: 64, outChannels: 128, kernelSize: (3, 3), padding: (1, 1)), MaxPool2d(kernelSize: (2, 2)),
        Flatten(), try Linear(inFeatures: 128 * 8 * 8, outFeatures: 10),
    ])
    #expect(net.parameterCount() == 160_650)
    let table = try net.summary(inputShape: [1, 3, 32, 32])
    #expect(table.contains("Total params: 160,650"))
    #expect(table.contains("[1, 64, 32, 32]") && table.contains("[1, 128, 8, 8]") && table.contains("[1, 8192]"))
}

@Test(arguments: [("lenet5", 0), ("bn_net", 1)])
func pytorchStateDictsLoadAndGivePyTorchsOutputs(name: String, which: Int) throws {
    let net = which == 0 ? try lenet5() : try bnNet()
    let dir = goldenDir + "/modules/"
    try Checkpoint.loadWeights(into: net, from: dir + "\(name)_state.safetensors")
    let io = try SafeTensors.read(path: dir + "\(name)_io.safetensors")
    net.train(false)
    let out = try net(try #require(io["input"]))
    if let m = mismatch(out, try #require(io["logits"]), atol: 1e-5, rtol: 1e-4) { Issue.record("\(name): \(m)") }
    // Our state dict has exactly PyTorch's keys, in a file safetensors reads.
    let theirs = try SafeTensors.read(path: dir + "\(name)_state.safetensors")
    #expect(Set(net.stateDict().map(\.name)) == Set(theirs.tensors.map(\.name)))
}

@Test func checkpointsRebuildTheModelFromTheFileAlone() throws {
    Generator.global.manualSeed(3)
    let net = try bnNet()
    let x = try Tensor.randn([2, 3, 9, 9])
    _ = try net(x)  // one training-mode pass moves the running statistics
    net.train(false)
    let path = "/tmp/snn-ckpt-\(UInt32.random(in: 0...UInt32.max)).safetensors"
    try Checkpoint.save(net, to: path)
    let again = try Checkpoint.load(from: path)
    #expect(again.architecture == net.architecture)
    again.train(false)
    #expect(try again(x).scalars == (try net(x)).scalars)
    // A file without architecture metadata says how to load it instead.
    do {
        _ = try Checkpoint.load(from: goldenDir + "/modules/lenet5_state.safetensors")
        Issue.record("loaded a file without architecture")
    } catch let e as SNNError {
        #expect(e.status == .format && e.message.contains("load_state_dict"))
    }
}

@Test func loadStateDictRejectsMissingUnexpectedAndMisshapenEntries() throws {
    let net = try lenet5()
    var sd = net.stateDict()
    sd.removeLast()
    #expect(throws: SNNError.self) { try net.loadStateDict(sd) }
    sd = net.stateDict() + [("extra", try Tensor.zeros([1]))]
    #expect(throws: SNNError.self) { try net.loadStateDict(sd) }
    let wrong = try Tensor.zeros([7])
    sd = net.stateDict().map { (name: $0.name, tensor: $0.name == "0.bias" ? wrong : $0.tensor) }
    #expect(throws: SNNError.self) { try net.loadStateDict(sd) }
    try net.loadStateDict(Array(net.stateDict().dropLast()), strict: false)
}

@Test func trainingASmallNetworkLowersTheLossAndReportsProgress() throws {
    Generator.global.manualSeed(5)
    // Synthetic, separable data: the class is the quadrant of a 2-D point.
    let n = 256
    let x = try Tensor.randn([n, 2])
    let labels = (0..<n).map { Int64((x.floats[2 * $0] > 0 ? 1 : 0) + (x.floats[2 * $0 + 1] > 0 ? 2 : 0)) }
    let y = try Tensor(int64: labels, shape: [n])
    let net = Sequential([try Linear(inFeatures: 2, outFeatures: 32), ReLU(), try Linear(inFeatures: 32, outFeatures: 4)])
    let opt = try SGD(net.parameters, SGD.Options(lr: 0.1, momentum: 0.9))
    let loader = try DataLoader(inputs: x, targets: y, batchSize: 32, shuffle: true, seed: 1)
    var reports: [TrainProgress] = []
    let history = try Trainer.classifier(model: net, optimizer: opt).fit(loader: loader, epochs: 20, reportEvery: 4) {
        reports.append($0)
        return true
    }
    #expect(history.count == 20 * 8)
    let first: Double = history.prefix(8).reduce(0, +) / 8
    let last: Double = history.suffix(8).reduce(0, +) / 8
    #expect(last < first * 0.3)
    #expect(reports.contains { $0.endOfEpoch })
    #expect(reports.last?.epoch == 20)
    #expect(reports.allSatisfy { $0.samplesPerSecond > 0 })
    let (_, accuracy) = try evaluateClassifier(net, inputs: x, labels: y)
    #expect(accuracy > 0.9)
}
