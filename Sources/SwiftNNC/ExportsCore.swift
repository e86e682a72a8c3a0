// Library information, errors, handle counting and threading (swiftnn.h).
import CBLAS
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_version() -> UnsafePointer<CChar>? { cString("0.1.0") }

@c @implementation
public func snn_abi_version() -> Int32 { Int32(SNN_ABI_VERSION) }

@c @implementation
public func snn_cpu_capability() -> UnsafePointer<CChar>? { cString(SwiftNN.cpuCapability) }

/// C string of a static string literal (static storage, never freed).
@inline(__always)
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func snn_status_string(_ status: snn_status) -> UnsafePointer<CChar>? {
    switch status {
    case SNN_OK: cString("SNN_OK")
    case SNN_ERR_INVALID_ARGUMENT: cString("SNN_ERR_INVALID_ARGUMENT")
    case SNN_ERR_INVALID_HANDLE: cString("SNN_ERR_INVALID_HANDLE")
    case SNN_ERR_SHAPE: cString("SNN_ERR_SHAPE")
    case SNN_ERR_DTYPE: cString("SNN_ERR_DTYPE")
    case SNN_ERR_OUT_OF_RANGE: cString("SNN_ERR_OUT_OF_RANGE")
    case SNN_ERR_OUT_OF_MEMORY: cString("SNN_ERR_OUT_OF_MEMORY")
    case SNN_ERR_IO: cString("SNN_ERR_IO")
    case SNN_ERR_FORMAT: cString("SNN_ERR_FORMAT")
    case SNN_ERR_UNSUPPORTED: cString("SNN_ERR_UNSUPPORTED")
    case SNN_ERR_AUTOGRAD: cString("SNN_ERR_AUTOGRAD")
    case SNN_ERR_INTERNAL: cString("SNN_ERR_INTERNAL")
    default: cString("SNN_ERR_UNKNOWN")
    }
}

@c @implementation
public func snn_last_error() -> UnsafePointer<CChar>? { lastErrorPointer() }

@c @implementation
public func snn_live_handles(_ out: UnsafeMutablePointer<Int64>?) -> snn_status {
    boundary { fn in try outPointer(out, fn, "out_count").pointee = Int64(Registry.shared.count) }
}

@c @implementation
public func snn_set_num_threads(_ n: Int32) -> snn_status {
    boundary { fn in
        guard n >= 1, n <= 1024 else { throw SNNError(.invalidArgument, "\(fn): n = \(n), expected 1...1024") }
        EngineThreads.count = Int(n)
    }
}

@c @implementation
public func snn_get_num_threads(_ out: UnsafeMutablePointer<Int32>?) -> snn_status {
    boundary { fn in try outPointer(out, fn, "out_n").pointee = Int32(EngineThreads.count) }
}

@c @implementation
public func snn_memory_cached(_ out: UnsafeMutablePointer<Int64>?) -> snn_status {
    boundary { fn in try outPointer(out, fn, "out_bytes").pointee = Int64(cachedTensorBytes) }
}

@c @implementation
public func snn_memory_release_cached() -> snn_status {
    boundary { _ in releaseCachedTensorMemory() }
}

@c @implementation
public func snn_manual_seed(_ seed: UInt64) -> snn_status {
    boundary { _ in Generator.global.manualSeed(seed) }
}
