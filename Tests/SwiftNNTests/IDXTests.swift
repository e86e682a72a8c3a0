// IDX parsing on the hand-made fixtures (Tests/fixtures/idx, mnist-tiny) and, when present,
// on real MNIST (data/mnist, from `make data`) and Fashion-MNIST (Debian's package).
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

let tinyPixels: [[UInt8]] = [
    [0, 1, 2, 127, 128, 129, 253, 254, 255],
    [255, 0, 255, 0, 255, 0, 255, 0, 255],
    [10, 20, 30, 40, 50, 60, 70, 80, 90],
    [3, 1, 4, 1, 5, 9, 2, 6, 5],
]

@Test(arguments: ["images-4x3x3.idx3-ubyte", "images-4x3x3.idx3-ubyte.gz"])
func idxImages(file: String) throws {
    let t = try IDX.load(path: "\(fixturesDir)/idx/\(file)")
    #expect(t.shape == [4, 1, 3, 3])
    #expect(t.dtype == .float32)
    let bytes: [Float] = tinyPixels.flatMap { $0 }.map { Float($0) }
    let scaled: [Float] = bytes.map { $0 / 255 }
    #expect(t.scalars == scaled)
    let n = try IDX.load(path: "\(fixturesDir)/idx/\(file)", normalize: (0.5, 0.25))
    let normalised: [Float] = scaled.map { ($0 - 0.5) / 0.25 }
    #expect(n.scalars == normalised)
}

@Test(arguments: ["labels-4.idx1-ubyte", "labels-4.idx1-ubyte.gz"])
func idxLabels(file: String) throws {
    let t = try IDX.load(path: "\(fixturesDir)/idx/\(file)")
    #expect(t.shape == [4])
    #expect(t.dtype == .int64)
    #expect(t.int64Scalars == [3, 1, 4, 1])
}

@Test func idxOtherTypes() throws {
    func load(_ f: String) throws -> Tensor { try IDX.load(path: "\(fixturesDir)/idx/\(f)") }
    let u = try load("uint8-2x6.idx")
    #expect(u.shape == [2, 6] && u.dtype == .float32)
    let expected: [Float] = stride(from: 0, to: 240, by: 20).map { Float($0) / 255 }
    #expect(u.scalars == expected)
    #expect(try load("int8-labels-3.idx").int64Scalars == [-1, 0, 127])
    let s = try load("int16-2x3.idx")
    #expect(s.shape == [2, 3] && s.scalars == [-32768, -1, 0, 1, 300, 32767])
    #expect(try load("int32-labels-3.idx").int64Scalars == [-70000, 0, 2_000_000_000])
    #expect(try load("float32-2x2.idx").scalars == [1.5, -2.25, 0, 3e38])
    let d = try load("float64-3.idx")
    #expect(d.shape == [1, 3] && d.scalars == [Float(0.1), Float(-1e-3), Float(12345.678)])
}

@Test(arguments: [
    ("bad-short-data.idx", Status.format, "truncated"), ("bad-trailing.idx", .format, "bytes after"),
    ("bad-magic.idx", .format, "not an IDX file"), ("bad-type.idx", .format, "unknown IDX element type"),
    ("bad-rank0.idx", .format, "rank 0"), ("bad-short-header.idx", .format, "too short for the header"),
    ("bad-huge-dims.idx", .format, "truncated"), ("bad-corrupt.idx3-ubyte.gz", .format, "CRC32 mismatch"),
    ("missing.idx", .io, "cannot open"),
])
func idxErrors(file: String, status: Status, words: String) {
    let path = "\(fixturesDir)/idx/\(file)"
    let r = thrownStatus { try IDX.load(path: path) }
    #expect(r?.0 == status, "\(file): \(String(describing: r))")
    #expect(r?.1.contains(words) == true && r?.1.contains(path) == true, "\(file): \(r?.1 ?? "")")
}

@Test func idxRejectsBadNormalisation() throws {
    let r = thrownStatus { try IDX.load(path: "\(fixturesDir)/idx/images-4x3x3.idx3-ubyte", normalize: (0, 0)) }
    #expect(r?.0 == .invalidArgument)
}

@Test func mnistFolders() throws {
    let (x, y) = try MNIST.load(directory: "\(fixturesDir)/mnist-tiny", train: true)
    #expect(x.shape == [4, 1, 3, 3] && y.int64Scalars == [3, 1, 4, 1])
    let (tx, ty) = try MNIST.load(directory: "\(fixturesDir)/mnist-tiny/", train: false)
    #expect(tx.shape == [2, 1, 3, 3] && ty.int64Scalars == [3, 1])
    #expect(tx.scalars == Array(x.scalars[0..<18]))
    let mismatch = thrownStatus { try MNIST.load(directory: "\(fixturesDir)/mnist-mismatch", train: true) }
    #expect(mismatch?.0 == .format && mismatch?.1.contains("4 images but") == true, "\(String(describing: mismatch))")
    let notImages = thrownStatus { try MNIST.load(directory: "\(fixturesDir)/mnist-mismatch", train: false) }
    #expect(notImages?.0 == .format && notImages?.1.contains("not a uint8 [N, H, W] image file") == true)
    let missing = thrownStatus { try MNIST.load(directory: "\(fixturesDir)/idx", train: true) }
    #expect(missing?.0 == .io && missing?.1.contains("train-images-idx3-ubyte") == true)
}

/// Real MNIST test split (data/mnist from `make data`): shape, official facts, pixel range.
@Test(.enabled(if: access(repoRoot + "/data/mnist/t10k-images-idx3-ubyte.gz", R_OK) == 0,
               "data/mnist absent: run `make data` (tools/setup.sh installs its source first)"))
func realMNISTTestSplit() throws {
    let (x, y) = try MNIST.load(directory: repoRoot + "/data/mnist", train: false)
    #expect(x.shape == [10000, 1, 28, 28] && y.shape == [10000])
    #expect(Array(y.int64Scalars.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    var counts = [Int](repeating: 0, count: 10)
    for l in y.int64Scalars { counts[Int(l)] += 1 }
    #expect(counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    let s = x.scalars
    #expect(s.min() == 0 && s.max() == 1)
}

@Test(.enabled(if: access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) == 0,
               "Debian's dataset-fashion-mnist is not installed (tools/setup.sh installs it)"))
func realFashionMNISTTestSplit() throws {
    let (x, y) = try MNIST.load(directory: "/usr/share/datasets/fashion-mnist", train: false)
    #expect(x.shape == [10000, 1, 28, 28] && y.shape == [10000])
    #expect(Array(y.int64Scalars.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    var counts = [Int](repeating: 0, count: 10)
    for l in y.int64Scalars { counts[Int(l)] += 1 }
    #expect(counts == [Int](repeating: 1000, count: 10))
}
