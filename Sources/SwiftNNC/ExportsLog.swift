// The log callback and threshold (swiftnn/log.h): the C side of Log (SwiftNNKernels/Log.swift).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_set_log_callback(_ callback: snn_log_fn?, _ userData: UnsafeMutableRawPointer?) -> snn_status {
    boundary { _ in
        guard let callback else { Log.setSink(nil); return }
        Log.setSink { level, message in
            message.withCString { callback(snn_log_level(rawValue: UInt32(level.rawValue)), $0, userData) }
        }
    }
}

@c @implementation
public func snn_set_log_level(_ level: snn_log_level) -> snn_status {
    boundary { fn in
        guard level.rawValue <= SNN_LOG_OFF.rawValue else {
            throw SNNError(.invalidArgument, "\(fn): level is \(Int32(bitPattern: level.rawValue)); expected SNN_LOG_DEBUG (0) ... SNN_LOG_OFF (4)")
        }
        Log.thresholdValue = Int(level.rawValue)
    }
}

@c @implementation
public func snn_get_log_level(_ out: UnsafeMutablePointer<snn_log_level>?) -> snn_status {
    boundary { fn in
        try outPointer(out, fn, "out_level").pointee = snn_log_level(rawValue: UInt32(Log.thresholdValue))
    }
}
