// MNIST-style folders: the four standard IDX file names (raw or .gz), as published for MNIST
// and Fashion-MNIST, loaded as images float32 [N, 1, 28, 28] in [0, 1] and labels int64 [N].
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum MNIST {
    /// The names tried, in order, for a split's images ("train" or "t10k") and labels.
    public static func candidates(_ prefix: String, _ kind: String) -> [String] {
        let idx = kind == "images" ? "idx3" : "idx1"
        return ["\(prefix)-\(kind)-\(idx)-ubyte", "\(prefix)-\(kind)-\(idx)-ubyte.gz", "\(prefix)-\(kind).\(idx)-ubyte"]
    }

    /// Loads the training (60k) or test (10k) split from `directory`.
    public static func load(directory: String, train: Bool,
                            normalize: (mean: Float, std: Float)? = nil) throws -> (images: Tensor, labels: Tensor) {
        let prefix = train ? "train" : "t10k"
        let dir = directory.hasSuffix("/") || directory.isEmpty ? directory : directory + "/"
        func find(_ kind: String) throws -> String {
            let names = candidates(prefix, kind)
            for n in names where access(dir + n, R_OK) == 0 { return dir + n }
            throw SNNError(.io, "MNIST: no readable \(names[0])[.gz] in '\(directory)' (tried \(names.joined(separator: ", ")))")
        }
        let imagesPath = try find("images"), labelsPath = try find("labels")
        let images = try IDX.load(path: imagesPath, normalize: normalize)
        let labels = try IDX.load(path: labelsPath)
        guard images.rank == 4, images.dtype == .float32 else {
            throw SNNError(.format, "MNIST: '\(imagesPath)' is not a uint8 [N, H, W] image file (it loads as \(fmt(images.shape)) \(images.dtype.name))")
        }
        guard labels.rank == 1, labels.dtype == .int64 else {
            throw SNNError(.format, "MNIST: '\(labelsPath)' is not an integer [N] label file (it loads as \(fmt(labels.shape)) \(labels.dtype.name))")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw SNNError(.format, "MNIST: '\(imagesPath)' has \(images.shape[0]) images but '\(labelsPath)' has \(labels.shape[0]) labels")
        }
        return (images, labels)
    }
}
