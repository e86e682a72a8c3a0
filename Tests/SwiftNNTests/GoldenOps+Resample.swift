// How each golden op of the "resample" area is called in Swift.
@testable import SwiftNN

let resampleOps: [String: GoldenOp] = [
    "pad": { x, a in [try pad(x[0], a.ints("pad"), mode: PadMode.allModes[a.int("mode")], value: a.double("value"))] },
    "interpolate": { x, a in
        let scales = a.string("scales", "none") == "none" ? [] : a.string("scales").split(separator: ",").map { Double($0) }
        return [try interpolate(x[0], size: a.ints("size"), scales: scales, mode: InterpolateMode(rawValue: a.int("mode"))!,
                                alignCorners: a.bool("align_corners"))]
    },
    "one_hot": { x, a in [try oneHot(x[0], numClasses: a.int("num_classes", -1))] },
]
