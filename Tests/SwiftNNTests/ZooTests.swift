// The model zoo against torchvision (Tests/golden/zoo, tools/gen_golden_zoo.py): MobileNetV2's
// names and logits with the ImageNet weights, inner-layer features, the antialiased resize,
// JPEG decoding against Pillow's libjpeg-turbo, and corrupt JPEGs -> errors, never traps.
import Testing
@testable import SwiftNN

let zooGolden = goldenDir + "/zoo/mobilenet_v2.safetensors"
/// `make zoo-weights` (a prerequisite of `make test-swift`) converts torchvision's .pth here.
let zooWeights = repoRoot + "/build/zoo/mobilenet_v2.safetensors"

private func zooExpect(_ actual: Tensor, _ expected: Tensor, _ what: String) {
    if let m = mismatch(actual, expected) { Issue.record("\(what): \(m)") }
}

@Test func mobileNetV2HasTorchvisionsNamesAndSize() throws {
    let m = try MobileNetV2()
    #expect(m.parameterCount() == 3_504_872)   // torchvision's meta["num_params"]
    let file = try SafeTensors.read(path: zooWeights)
    // torchvision's state_dict keys (safetensors stores them sorted), each exactly once.
    let names = m.stateDict().map(\.name)
    #expect(names.count == 314 && Set(names).count == 314)
    #expect(Set(names) == Set(file.tensors.map(\.name)))
    #expect(m.stateDict().first?.name == "features.0.0.weight")
    #expect(m.stateDict().last?.name == "classifier.1.bias")
    #expect(m.features.children.count == 19)
    #expect(m.features.children[1].module is InvertedResidual)
}

@Test func mobileNetV2GivesTorchvisionsLogits() throws {
    let golden = try SafeTensors.read(path: zooGolden)
    let m = try MobileNetV2.pretrained(path: zooWeights)
    #expect(!m.training)
    for photo in ["chelsea", "grace_hopper"] {
        let x = try #require(golden["\(photo).input"])
        let want = try #require(golden["\(photo).logits"])
        let y = try GradMode.withoutGrad { try m(try x.view(as: [1] + x.shape)) }
        zooExpect(try y.view(as: [1000]), want, "\(photo) logits")
        #expect(try argmax(y, dim: 1).int64Scalars[0] == Int64(try argmax(want, dim: 0).int64Scalars[0]))
    }
}

@Test func mobileNetV2FeaturesAreTorchvisionsInnerOutputs() throws {
    let golden = try SafeTensors.read(path: zooGolden)
    let m = try MobileNetV2.pretrained(path: zooWeights)
    let x = try #require(golden["chelsea.input"])
    let names = ["features.3", "features.6", "features.13", "features.18", "classifier.0"]
    let feats = try GradMode.withoutGrad { try m.extractFeatures(try x.view(as: [1] + x.shape), names: names) }
    #expect(feats.map(\.shape) == [[1, 24, 56, 56], [1, 32, 28, 28], [1, 96, 14, 14], [1, 1280, 7, 7], [1, 1280]])
    for (n, f) in zip(names, feats) {
        let want = try #require(golden["chelsea.feature_mean.\(n)"])
        let got = f.rank == 4 ? try mean(f, dims: [2, 3]) : f
        zooExpect(try got.view(as: want.shape), want, "mean of \(n)")
    }
    // Errors name the module; the model's own output is "".
    #expect(throws: SNNError.self) { try m.extractFeatures(x, names: ["features.99"]) }
    #expect(throws: SNNError.self) { try m.extractFeatures(x, names: ["features.3", "features.3"]) }
}

@Test func mobileNetV2RoundTripsThroughACheckpoint() throws {
    let m = try MobileNetV2(numClasses: 10, widthMult: 0.5)
    m.train(false)
    let x = try Tensor.uniform([2, 3, 64, 64], low: 0, high: 1)
    let path = repoRoot + "/build/zoo-roundtrip-test.safetensors"
    try Checkpoint.save(m, to: path)
    let back = try Checkpoint.load(from: path)
    #expect(back is MobileNetV2)
    back.train(false)
    #expect(try m(x).scalars == (try back(x)).scalars)
    // Weights of another configuration are refused with the reason, not loaded halfway.
    #expect(throws: SNNError.self) { _ = try MobileNetV2.pretrained(path: path) }
}

@Test func resizeMatchesTorchsAntialiasedInterpolate() throws {
    let golden = try SafeTensors.read(path: zooGolden)
    let x = try #require(golden["resize.input"])
    zooExpect(try ImageTransform.resize(x, height: 16, width: 23), try #require(golden["resize.down"]), "resize down")
    zooExpect(try ImageTransform.resize(x, height: 50, width: 80), try #require(golden["resize.up"]), "resize up")
    #expect(ImageTransform.resizedSize(height: 512, width: 600, shorter: 256) == (256, 300))
    #expect(ImageTransform.resizedSize(height: 451, width: 300, shorter: 256) == (384, 256))
}

@Test func centerCropAndNormalizeAreTorchvisions() throws {
    let x = try Tensor((0..<(2 * 5 * 7)).map(Float.init), shape: [2, 5, 7])
    let c = try ImageTransform.centerCrop(x, height: 2, width: 4)
    // top = round(1.5) = 2 (half to even), left = round(1.5) = 2.
    #expect(c.scalars == [16, 17, 18, 19, 23, 24, 25, 26, 51, 52, 53, 54, 58, 59, 60, 61])
    let n = try ImageTransform.normalize(c, mean: [1, 2], std: [2, 4])
    #expect(n.scalars[0] == 7.5 && n.scalars[8] == 12.25)
    #expect(throws: SNNError.self) { try ImageTransform.centerCrop(x, height: 6, width: 4) }
    #expect(throws: SNNError.self) { try ImageTransform.classificationPreset(x) }   // 2 channels, not 3
}

@Test func jpegDecodesAsPillowsLibjpegTurbo() throws {
    let want = try SafeTensors.read(path: fixturesDir + "/zoo/small_jpeg_pixels.safetensors")
    let rgb = try ImageTensor.read(path: fixturesDir + "/zoo/small.jpg", channels: 3)
    #expect(rgb.shape == [3, 24, 32])
    #expect(rgb.scalars == (try #require(want["small"])).scalars)
    let gray = try ImageTensor.read(path: fixturesDir + "/zoo/small_gray.jpg", channels: 3)
    #expect(gray.scalars == (try #require(want["small_gray"])).scalars)
}

@Test func corruptJPEGsAreErrors() throws {
    let bytes = try File.read(fixturesDir + "/zoo/small.jpg")
    // Every truncation, and a scrambled body, is a format error (never a trap or gray pixels).
    for cut in stride(from: 3, to: bytes.count, by: 37) {
        #expect(throws: SNNError.self) { _ = try JPEG.decode(Array(bytes[0..<cut])) }
    }
    var scrambled = bytes
    for i in stride(from: 200, to: bytes.count - 2, by: 3) { scrambled[i] = 0xFF }
    #expect(throws: SNNError.self) { _ = try JPEG.decode(scrambled) }
}
