// The C boundary's error messages: every one names its function, even when engine code shared
// by many exports (file reading, allocation) threw it.
import CSwiftNN
import Testing
@testable import SwiftNN
@testable import SwiftNNC

/// An export-like function: `boundary { fn in }` picks up its name through #function.
private func snn_fake_load(_ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { _ in throw SNNError(.io, "cannot open 'x' for reading") }
}

/// An export whose body writes its own name into a message through `fn`.
private func snn_fake_check(_ n: Int) -> snn_status {
    boundary { fn in throw SNNError(.invalidArgument, "\(fn): n = \(n), expected 1...4") }
}

/// A shared helper: its callers' names reach the message, not its own.
private func fakeHelper(caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in throw SNNError(.shapeMismatch, "\(fn): shapes differ") }
}

private func snn_fake_helped(_ a: Int, _ b: Int) -> snn_status { fakeHelper() }

@Suite struct BoundaryMessages {
    @Test func engineMessagesWithoutANameGetTheExportsName() {
        #expect(namedMessage("cannot open 'x' for reading: No such file or directory", "snn_tensor_map_load")
                == "snn_tensor_map_load: cannot open 'x' for reading: No such file or directory")
        #expect(namedMessage("internal error: oops", "snn_tensor_add") == "snn_tensor_add: internal error: oops")
    }

    @Test func messagesThatNameAFunctionStayAsTheyAre() {
        #expect(namedMessage("snn_tensor_sum: dims is NULL but its length is 2", "snn_tensor_sum")
                == "snn_tensor_sum: dims is NULL but its length is 2")
        #expect(namedMessage("add: shapes [2] and [3] cannot be broadcast", "snn_tensor_add")
                == "add: shapes [2] and [3] cannot be broadcast")
        #expect(namedMessage("CosineAnnealingLR: T_max 0 must be >= 1", "snn_lr_scheduler_cosine")
                == "CosineAnnealingLR: T_max 0 must be >= 1")
    }

    @Test func boundaryNamesTheExportThatCalledIt() {
        #expect(snn_fake_load(nil) == SNN_ERR_IO)
        #expect(String(cString: lastErrorPointer()) == "snn_fake_load: cannot open 'x' for reading")
        #expect(snn_fake_check(7) == SNN_ERR_INVALID_ARGUMENT)
        #expect(String(cString: lastErrorPointer()) == "snn_fake_check: n = 7, expected 1...4")
    }

    @Test func helpersPassTheirCallersName() {
        #expect(snn_fake_helped(1, 2) == SNN_ERR_SHAPE)
        #expect(String(cString: lastErrorPointer()) == "snn_fake_helped: shapes differ")
    }

    @Test func exportNamesDropTheArgumentLabels() {
        #expect(exportName("snn_tensor_add(_:_:_:)") == "snn_tensor_add")
        #expect(exportName("snn_memory_release_cached()") == "snn_memory_release_cached")
        #expect(exportName("snn_version") == "snn_version")
    }

    @Test func helpersAreNotNamed() {
        #expect(namedMessage("cannot allocate 8 bytes", "binaryExport") == "cannot allocate 8 bytes")
    }

    @Test func everyEngineStatusHasItsHeaderCode() {
        #expect(cStatus(.invalidArgument) == SNN_ERR_INVALID_ARGUMENT)
        #expect(cStatus(.shapeMismatch) == SNN_ERR_SHAPE)
        #expect(cStatus(.internalError) == SNN_ERR_INTERNAL)
    }
}
