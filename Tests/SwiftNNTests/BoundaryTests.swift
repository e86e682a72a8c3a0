// The C boundary's error messages: every one names its function, even when engine code shared
// by many exports (file reading, allocation) threw it.
import CSwiftNN
import Testing
@testable import SwiftNN
@testable import SwiftNNC

/// An export-like function: `boundary { }` picks up its name through #function.
private func snn_fake_load() -> snn_status {
    boundary { throw SNNError(.io, "cannot open 'x' for reading") }
}

@Suite struct BoundaryMessages {
    @Test func engineMessagesWithoutANameGetTheExportsName() {
        #expect(namedMessage("cannot open 'x' for reading: No such file or directory", "snn_tensor_map_load(_:_:)")
                == "snn_tensor_map_load: cannot open 'x' for reading: No such file or directory")
        #expect(namedMessage("internal error: oops", "snn_tensor_add(_:_:_:)") == "snn_tensor_add: internal error: oops")
    }

    @Test func messagesThatNameAFunctionStayAsTheyAre() {
        #expect(namedMessage("snn_tensor_sum: dims is NULL but its length is 2", "snn_tensor_sum(_:_:_:_:_:)")
                == "snn_tensor_sum: dims is NULL but its length is 2")
        #expect(namedMessage("add: shapes [2] and [3] cannot be broadcast", "snn_tensor_add(_:_:_:)")
                == "add: shapes [2] and [3] cannot be broadcast")
        #expect(namedMessage("CosineAnnealingLR: T_max 0 must be >= 1", "snn_lr_scheduler_cosine(_:_:_:_:)")
                == "CosineAnnealingLR: T_max 0 must be >= 1")
    }

    @Test func boundaryNamesTheExportThatCalledIt() {
        #expect(snn_fake_load() == SNN_ERR_IO)
        #expect(String(cString: lastErrorPointer()) == "snn_fake_load: cannot open 'x' for reading")
    }

    @Test func helpersAreNotNamed() {
        #expect(namedMessage("cannot allocate 8 bytes", "binaryExport(_:_:_:_:_:)") == "cannot allocate 8 bytes")
    }
}
