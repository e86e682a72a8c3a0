// IDX and MNIST loading, and the data loader handle (swiftnn/data.h).
import CSwiftNN
import SwiftNN

extension DataLoader: HandleNamed { static var handleName: String { "snn_dataloader" } }

/// Reads a C path argument.
private func pathArg(_ p: UnsafePointer<CChar>?, _ fn: String, _ arg: String) throws -> String {
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL, expected a path") }
    guard let s = String(validatingCString: p) else { throw SNNError(.invalidArgument, "\(fn): \(arg) is not valid UTF-8") }
    guard !s.isEmpty else { throw SNNError(.invalidArgument, "\(fn): \(arg) is an empty string") }
    return s
}

private func loaderArg(_ handle: OpaquePointer?, _ fn: String) throws -> DataLoader {
    try resolve(handle, DataLoader.self, fn, "dl")
}

/// Prefixes the function name to engine messages that lack it.
private func named<T>(_ fn: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as SNNError {
        throw e.message.hasPrefix(fn) ? e : SNNError(e.status, "\(fn): \(e.message)")
    }
}

@c @implementation
public func snn_idx_load(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let p = try pathArg(path, fn, "path")
        give(try named(fn) { try IDX.load(path: p) }, o)
    }
}

@c @implementation
public func snn_mnist_load(_ images: UnsafeMutablePointer<OpaquePointer?>?, _ labels: UnsafeMutablePointer<OpaquePointer?>?,
                           _ dir: UnsafePointer<CChar>?, _ train: Bool) -> snn_status {
    boundary { fn in
        let oi = try outHandle(images, fn, "images")
        let ol = try outHandle(labels, fn, "labels")
        let d = try pathArg(dir, fn, "dir")
        let (x, y) = try named(fn) { try MNIST.load(directory: d, train: train) }
        give(x, oi)
        give(y, ol)
    }
}

@c @implementation
public func snn_dataloader_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ images: OpaquePointer?, _ labels: OpaquePointer?,
                               _ batchSize: Int, _ shuffle: Bool, _ seed: UInt64, _ dropLast: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(images, fn, "images"), y = try tensorArg(labels, fn, "labels")
        // size_t arrives as Int: a huge value (e.g. (size_t)-1) shows up negative.
        guard batchSize >= 1 else {
            throw SNNError(.invalidArgument, "\(fn): batch_size is \(batchSize == 0 ? "0" : String(UInt(bitPattern: batchSize))), expected 1...\(Int.max)")
        }
        let dl = try named(fn) {
            try DataLoader(inputs: x, targets: y, batchSize: batchSize, shuffle: shuffle, seed: seed, dropLast: dropLast)
        }
        o.pointee = Registry.shared.insert(dl)
    }
}

@c @implementation
public func snn_data_shuffle_order(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ n: Int64, _ seed: UInt64, _ epoch: UInt64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard n >= 0 else { throw SNNError(.invalidArgument, "\(fn): n is \(n), expected n >= 0") }
        let count = Int(n)
        let t = try Tensor(empty: [count], dtype: .int64, zeroed: false, fn)
        // The tensor is allocated first, so an absurd n is an out-of-memory error, not a trap
        // while building the order array.
        let perm = DataLoader.order(count: count, shuffle: true, seed: seed, epoch: epoch)
        for i in 0..<count { t.int64s[i] = Int64(perm[i]) }
        o.pointee = Registry.shared.insert(t)
    }
}

@c @implementation
public func snn_dataloader_len(_ out: UnsafeMutablePointer<Int>?, _ dl: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_batches")
        o.pointee = try loaderArg(dl, fn).count
    }
}

@c @implementation
public func snn_dataloader_next(_ x: UnsafeMutablePointer<OpaquePointer?>?, _ y: UnsafeMutablePointer<OpaquePointer?>?,
                                _ hasBatch: UnsafeMutablePointer<Bool>?, _ dl: OpaquePointer?) -> snn_status {
    boundary { fn in
        let ox = try outHandle(x, fn, "x"), oy = try outHandle(y, fn, "y")
        let oh = try outPointer(hasBatch, fn, "out_has_batch")
        oh.pointee = false
        let loader = try loaderArg(dl, fn)
        guard let (bx, by) = try named(fn, { try loader.next() }) else { return }
        give(bx, ox)
        give(by, oy)
        oh.pointee = true
    }
}

@c @implementation
public func snn_dataloader_reset(_ dl: OpaquePointer?) -> snn_status {
    boundary { fn in try loaderArg(dl, fn).reset() }
}

@c @implementation
public func snn_dataloader_set_epoch(_ dl: OpaquePointer?, _ epoch: UInt64) -> snn_status {
    boundary { fn in try loaderArg(dl, fn).setEpoch(epoch) }
}

@c @implementation
public func snn_dataloader_epoch(_ out: UnsafeMutablePointer<UInt64>?, _ dl: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_epoch")
        o.pointee = try loaderArg(dl, fn).epoch
    }
}

@c @implementation
public func snn_dataloader_free(_ dl: OpaquePointer?) -> snn_status { freeHandle(dl, DataLoader.self, "dl") }
