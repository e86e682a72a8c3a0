// Data-parallel training over Open MPI (swiftnn/distributed.h): the process group's
// collectives, the DistributedDataParallel handle and the DistributedSampler's indices.
import CSwiftNN
import SwiftNN

extension DataParallel: HandleNamed { static var handleName: String { "snn_ddp" } }

extension snn_dist_options {
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, timeout_seconds: 300) }
}

extension snn_ddp_options {
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, bucket_cap_mb: 25, sync_batchnorm: false,
                                  deterministic: false) }
}

@c @implementation
public func snn_dist_options_init(_ options: UnsafeMutablePointer<snn_dist_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_dist_init(_ options: UnsafePointer<snn_dist_options>?) -> snn_status {
    boundary { fn in
        let o = try optionsArg(options, fn) ?? .defaults
        guard o.timeout_seconds.isFinite, o.timeout_seconds > 0, o.timeout_seconds <= 1e9 else {
            throw SNNError(.invalidArgument, "\(fn): options->timeout_seconds = \(o.timeout_seconds), expected a positive number of seconds")
        }
        try ProcessGroup.initialize(timeout: o.timeout_seconds, fn)
    }
}

@c @implementation
public func snn_dist_is_initialized(_ out: UnsafeMutablePointer<Bool>?) -> snn_status {
    boundary { fn in try outPointer(out, fn, "out_initialized").pointee = ProcessGroup.current != nil }
}

@c @implementation
public func snn_dist_rank(_ out: UnsafeMutablePointer<Int64>?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_rank")
        o.pointee = Int64(try ProcessGroup.require(fn).rank)
    }
}

@c @implementation
public func snn_dist_size(_ out: UnsafeMutablePointer<Int64>?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_size")
        o.pointee = Int64(try ProcessGroup.require(fn).size)
    }
}

@c @implementation
public func snn_dist_backend(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> snn_status {
    boundary { fn in
        let o = try outPointer(buf, fn, "buf")
        guard capacity >= 1 else { throw SNNError(.invalidArgument, "\(fn): capacity is \(capacity), expected >= 1") }
        let name = Array(try ProcessGroup.require(fn).backend.utf8.prefix(capacity - 1))
        for (i, c) in name.enumerated() { o[i] = CChar(bitPattern: c) }
        o[name.count] = 0
    }
}

private func reduceOpArg(_ op: snn_reduce_op, _ fn: String) throws -> ReduceOp {
    guard let r = ReduceOp(rawValue: Int(op.rawValue)) else {
        throw SNNError(.invalidArgument, "\(fn): op is \(op.rawValue), expected SNN_REDUCE_SUM (0) or SNN_REDUCE_MEAN (1)")
    }
    return r
}

@c @implementation
public func snn_dist_allreduce(_ t: OpaquePointer?, _ op: snn_reduce_op) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        let r = try reduceOpArg(op, fn)
        try ProcessGroup.require(fn).allreduce(x, op: r, fn)
    }
}

@c @implementation
public func snn_dist_broadcast(_ t: OpaquePointer?, _ root: Int64) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        let g = try ProcessGroup.require(fn)
        guard root >= 0, root < Int64(g.size) else {
            throw SNNError(.outOfRange, "\(fn): root \(root) out of range for a group of \(g.size) ranks")
        }
        try g.broadcast(x, root: Int(root), fn)
    }
}

@c @implementation
public func snn_dist_allgather(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        o.pointee = Registry.shared.insert(try ProcessGroup.require(fn).allgather(x, fn))
    }
}

@c @implementation
public func snn_dist_barrier() -> snn_status {
    boundary { fn in try ProcessGroup.require(fn).barrier(fn) }
}

@c @implementation
public func snn_dist_finalize() -> snn_status {
    boundary { fn in try ProcessGroup.finalize(fn) }
}

// MARK: - DistributedDataParallel

@c @implementation
public func snn_ddp_options_init(_ options: UnsafeMutablePointer<snn_ddp_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

func ddpArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "ddp") throws -> DataParallel {
    try resolve(h, DataParallel.self, fn, arg)
}

@c @implementation
public func snn_ddp_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ module: OpaquePointer?,
                        _ options: UnsafePointer<snn_ddp_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let m = try moduleArg(module, fn, "module")
        let opts = try optionsArg(options, fn) ?? .defaults
        guard opts.bucket_cap_mb.isFinite, opts.bucket_cap_mb > 0, opts.bucket_cap_mb <= 1_048_576 else {
            throw SNNError(.invalidArgument, "\(fn): options->bucket_cap_mb = \(opts.bucket_cap_mb), expected a size in MB in (0, 1048576]")
        }
        let g = try ProcessGroup.require(fn)
        o.pointee = Registry.shared.insert(try DataParallel(m, group: g, bucketCapMB: opts.bucket_cap_mb,
                                                            syncBatchNorm: opts.sync_batchnorm,
                                                            deterministic: opts.deterministic, fn))
    }
}

@c @implementation
public func snn_ddp_new_tensors(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ tensors: UnsafePointer<OpaquePointer?>?,
                                _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int,
                                _ options: UnsafePointer<snn_ddp_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ts = try tensorsArg(tensors, count, fn, "tensors")
        let opts = try optionsArg(options, fn) ?? .defaults
        guard opts.bucket_cap_mb.isFinite, opts.bucket_cap_mb > 0, opts.bucket_cap_mb <= 1_048_576 else {
            throw SNNError(.invalidArgument, "\(fn): options->bucket_cap_mb = \(opts.bucket_cap_mb), expected a size in MB in (0, 1048576]")
        }
        let named = ts.enumerated().map { i, t in (name: names?[i].map { String(cString: $0) } ?? "tensors[\(i)]", tensor: t) }
        let g = try ProcessGroup.require(fn)
        o.pointee = Registry.shared.insert(try DataParallel(tensors: named, group: g, bucketCapMB: opts.bucket_cap_mb,
                                                            deterministic: opts.deterministic, fn))
    }
}

@c @implementation
public func snn_ddp_synchronize(_ ddp: OpaquePointer?) -> snn_status {
    boundary { fn in try ddpArg(ddp, fn).synchronize() }
}

@c @implementation
public func snn_ddp_set_require_sync(_ ddp: OpaquePointer?, _ requireSync: Bool) -> snn_status {
    boundary { fn in try ddpArg(ddp, fn).requireSync = requireSync }
}

@c @implementation
public func snn_ddp_buckets(_ outCount: UnsafeMutablePointer<Int>?, _ sizes: UnsafeMutablePointer<Int64>?, _ capacity: Int,
                            _ ddp: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(outCount, fn, "out_count")
        let d = try ddpArg(ddp, fn)
        guard capacity >= 0 else { throw SNNError(.invalidArgument, "\(fn): capacity \(UInt(bitPattern: capacity)) is too large") }
        guard capacity == 0 || sizes != nil else { throw SNNError(.invalidArgument, "\(fn): sizes is NULL but capacity is \(capacity)") }
        let s = d.bucketSizes
        o.pointee = s.count
        if let sizes { for (i, v) in s.prefix(capacity).enumerated() { sizes[i] = Int64(v) } }
    }
}

@c @implementation
public func snn_ddp_last_trace(_ out: UnsafeMutablePointer<snn_ddp_trace>?, _ ddp: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let t = try ddpArg(ddp, fn).lastTrace
        o.pointee = snn_ddp_trace(struct_size: MemoryLayout<snn_ddp_trace>.stride, allreduce_seconds: t.allreduce,
                                  hidden_seconds: t.hidden, exposed_wait_seconds: t.exposedWait, buckets: Int64(t.buckets.count))
    }
}

@c @implementation
public func snn_ddp_free(_ ddp: OpaquePointer?) -> snn_status { freeHandle(ddp, DataParallel.self, "ddp") }

@c @implementation
public func snn_module_set_sync_batchnorm(_ m: OpaquePointer?, _ on: Bool) -> snn_status {
    boundary { fn in
        let module = try moduleArg(m, fn)
        DataParallel.setSyncBatchNorm(module, on ? try ProcessGroup.require(fn) : nil)
    }
}

@c @implementation
public func snn_module_sync_batch_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ n: Int64, _ eps: Double,
                                       _ momentum: Double, _ affine: Bool, _ track: Bool) -> snn_status {
    layerExport(out) { fn in
        try BatchNorm(numFeatures: try countArg(n, fn, "num_features", min: 1), eps: eps, momentum: momentum,
                      affine: affine, trackRunningStats: track, sync: true)
    }
}

// MARK: - DistributedSampler

@c @implementation
public func snn_dist_sampler_indices(_ out: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                     _ datasetSize: Int64, _ numReplicas: Int64, _ rank: Int64, _ shuffle: Bool,
                                     _ seed: UInt64, _ epoch: Int64, _ dropLast: Bool) -> snn_status {
    boundary { fn in
        let count = try outPointer(outCount, fn, "out_count")
        guard capacity >= 0 else { throw SNNError(.invalidArgument, "\(fn): capacity \(UInt(bitPattern: capacity)) is too large") }
        guard capacity == 0 || out != nil else { throw SNNError(.invalidArgument, "\(fn): out is NULL but capacity is \(capacity)") }
        guard datasetSize >= 0, numReplicas >= 1, numReplicas <= Int64(Int32.max), epoch >= 0 else {
            throw SNNError(.invalidArgument, "\(fn): dataset_size \(datasetSize), num_replicas \(numReplicas), epoch \(epoch): expected dataset_size >= 0, num_replicas >= 1, epoch >= 0")
        }
        let idx = try DistributedSampler.indices(count: Int(datasetSize), numReplicas: Int(numReplicas), rank: Int(rank),
                                                 shuffle: shuffle, seed: seed, epoch: Int(epoch), dropLast: dropLast, fn)
        count.pointee = idx.count
        if let out { for (i, v) in idx.prefix(capacity).enumerated() { out[i] = Int64(v) } }
    }
}

@c @implementation
public func snn_dataloader_shard(_ dl: OpaquePointer?, _ numReplicas: Int64, _ rank: Int64) -> snn_status {
    boundary { fn in
        let d = try resolve(dl, DataLoader.self, fn, "dl")
        guard numReplicas >= 1, numReplicas <= Int64(Int32.max), rank >= 0, rank < numReplicas else {
            throw SNNError(.invalidArgument, "\(fn): rank \(rank) of num_replicas \(numReplicas): expected num_replicas >= 1 and 0 <= rank < num_replicas")
        }
        try d.shard(replicas: Int(numReplicas), rank: Int(rank))
    }
}
