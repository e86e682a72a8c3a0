// The engine's log (SwiftNNKernels/Log.swift) under the engine's names, so the C boundary and
// engine code log without importing the kernels module.
import SwiftNNKernels

public typealias Log = SwiftNNKernels.Log
public typealias LogLevel = SwiftNNKernels.LogLevel
