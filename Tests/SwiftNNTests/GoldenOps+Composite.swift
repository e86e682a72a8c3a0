// Composite golden cases in Swift: whole small networks, loss and every parameter gradient.
@testable import SwiftNN

let compositeOps: [String: GoldenOp] = [
    "mlp2": { x, _ in
        [try crossEntropy(try linear(try relu(try linear(x[0], weight: x[1], bias: x[2])), weight: x[3], bias: x[4]), x[5])]
    },
    "mlp2_tanh_mse": { x, _ in
        [try mseLoss(try linear(try tanh(try linear(x[0], weight: x[1], bias: x[2])), weight: x[3], bias: x[4]), x[5])]
    },
    "convnet_nll": { x, _ in
        let h = try maxPool2d(try relu(try conv2d(x[0], weight: x[1], bias: x[2])), kernelSize: (2, 2))
        return [try nllLoss(try logSoftmax(try linear(try flatten(h, startDim: 1), weight: x[3], bias: x[4]), dim: 1), x[5])]
    },
]
