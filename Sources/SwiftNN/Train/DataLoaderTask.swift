// A TrainingTask over a DataLoader: each batch's loss comes from a closure, so classifiers and
// the image captioner share the same batch source.

public final class DataLoaderTask: TrainingTask {
    public typealias Batch = (inputs: Tensor, targets: Tensor)
    let loader: DataLoader
    let loss: (Batch) throws -> Tensor

    /// `loss` turns a batch into a recorded scalar loss.
    public init(_ loader: DataLoader, loss: @escaping (Batch) throws -> Tensor) {
        self.loader = loader
        self.loss = loss
    }

    public var stepsPerEpoch: Int { loader.count }

    /// The loader reshuffles itself when an epoch's batches run out.
    public func startEpoch(_ epoch: Int) {}

    public func nextLoss() throws -> (loss: Tensor, items: Int)? {
        guard let b = try loader.next() else { return nil }
        return (try loss(b), b.inputs.shape.first ?? 1)
    }
}
