// Feature caching (Module.cacheFeatures): batches give the same rows as one forward pass, the
// mode is restored, nothing records a gradient, the file round-trips; and on the pretrained
// MobileNetV2 with the gray -> RGB preset, torch's features (Tests/golden/zoo/transfer.safetensors).
import Testing
@testable import SwiftNN

@Test func cachedFeaturesEqualOneForwardPassInAnyBatching() throws {
    let net = Sequential([try Linear(inFeatures: 3, outFeatures: 4), ReLU()])
    let x = try Tensor((0..<21).map { Float($0) / 7 - 1.5 }, shape: [7, 3])
    let whole = try GradMode.withoutGrad { try net(x) }
    net.train(true)
    var steps: [Int] = []
    let path = repoRoot + "/.build/feature_cache_test.safetensors"
    let cached = try net.cacheFeatures(x, batchSize: 3, path: path, progress: { p in steps.append(p.step); return p.stepsPerEpoch == 3 })
    #expect(cached.shape == [7, 4] && cached.scalars == whole.scalars)
    #expect(!cached.requiresGrad && net.training && steps == [1, 2, 3])
    #expect(try SafeTensors.read(path: path)["features"]?.scalars == whole.scalars)
    let inner = try net.cacheFeatures(x, layer: "0", batchSize: 2)
    #expect(inner.scalars == (try GradMode.withoutGrad { try net.children[0].module(x) }).scalars)
    #expect(throws: SNNError.self) { try net.cacheFeatures(x, layer: "5") }
    #expect(throws: SNNError.self) { try net.cacheFeatures(x, batchSize: 0) }
    #expect(throws: SNNError.self) { try net.cacheFeatures(x, progress: { _ in false }) }
}

@Test func cachedMobileNetFeaturesEqualTorchs() throws {
    let golden = try SafeTensors.read(path: goldenDir + "/zoo/transfer.safetensors")
    let m = try MobileNetV2.pretrained(path: zooWeights)
    let images = try #require(golden["images"]), want = try #require(golden["features"])
    let got = try m.cacheFeatures(images, layer: "features.16", batchSize: 5,
                                  preprocess: FeaturePreprocess(resizeSize: 96, cropSize: 96))
    #expect(got.shape == want.shape)
    // measured worst |diff| 5.9e-5 on values up to 17 (C and Python too): inside the relative part of the rule
    let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) - (2e-5 + 1e-4 * abs($1)) }.max() ?? 1
    #expect(worst <= 0)
}
