// The zoo's EfficientNet-Lite0 against the PyTorch port it mirrors (Tests/golden/zoo/
// efficientnet_lite0.*, tools/gen_golden_efficientnet.py): the port's names and size, logits on
// its preprocessed photos, TensorFlow's "SAME" padding, and another architecture's weights refused.
import Testing
@testable import SwiftNN

private let effGolden = goldenDir + "/zoo/efficientnet_lite0.safetensors"
/// `make zoo-weights` (a prerequisite of `make test-swift`) converts the port's .pth here.
private let effWeights = repoRoot + "/build/zoo/efficientnet_lite0.safetensors"

@Test func efficientNetLite0HasThePortsNamesAndSize() throws {
    let m = try EfficientNetLite0()
    #expect(m.parameterCount() == 4_652_008)
    let names = m.stateDict().map(\.name)
    #expect(names.first == "_conv_stem.weight" && names.last == "_fc.bias")
    #expect(Set(names) == Set(try SafeTensors.read(path: effWeights).tensors.map(\.name)))
    #expect(m.blocks.children.count == 16)
    #expect(!names.contains("_blocks.0._expand_conv.weight") && names.contains("_blocks.1._expand_conv.weight"))
    // TensorFlow's SAME for even inputs: stride 1 symmetric, stride 2 the smaller half before.
    #expect(sameStaticPadding(kernel: 3, stride: 1) == (1, 1) && sameStaticPadding(kernel: 5, stride: 1) == (2, 2))
    #expect(sameStaticPadding(kernel: 3, stride: 2) == (0, 1) && sameStaticPadding(kernel: 5, stride: 2) == (1, 2))
}

@Test func efficientNetLite0GivesThePortsLogits() throws {
    let golden = try SafeTensors.read(path: effGolden)
    let m = try EfficientNetLite0.pretrained(path: effWeights)
    #expect(!m.training)
    for photo in ["chelsea", "grace_hopper"] {
        let x = try #require(golden["\(photo).input"])
        let want = try #require(golden["\(photo).logits"])
        let y = try GradMode.withoutGrad { try m(try x.view(as: [1] + x.shape)) }
        if let d = mismatch(try y.view(as: [1000]), want) { Issue.record("\(photo) logits: \(d)") }
    }
}

@Test func efficientNetLite0RefusesAnotherArchitecture() throws {
    do {
        _ = try EfficientNetLite0.pretrained(path: zooWeights)   // MobileNetV2's file
        Issue.record("MobileNetV2's weights were accepted")
    } catch let e as SNNError {
        #expect(e.message.contains("do not fit EfficientNet-Lite0") && e.message.contains("_conv_stem.weight"))
    }
    #expect(throws: SNNError.self) { _ = try EfficientNetLite0(numClasses: 0) }
    #expect(throws: SNNError.self) { _ = try EfficientNetLite0()(try Tensor.zeros([1, 3, 16, 16])) }
}
