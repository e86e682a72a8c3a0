// The snn_tensor_map handle: an ordered name -> tensor map with metadata strings, the C view of
// a safetensors file or a state dict.
import SwiftNN

final class TensorMap: HandleNamed {
    static var handleName: String { "snn_tensor_map" }
    var entries: [(name: String, tensor: Tensor)] = []
    var metadata: [(key: String, value: String)] = []

    init() {}

    init(_ file: SafeTensors) {
        entries = file.tensors.map { ($0.name, $0.tensor) }
        metadata = file.metadata
    }

    func set(_ name: String, _ t: Tensor) {
        if let i = entries.firstIndex(where: { $0.name == name }) { entries[i].tensor = t } else { entries.append((name, t)) }
    }

    var file: SafeTensors { SafeTensors(tensors: entries, metadata: metadata) }
}
