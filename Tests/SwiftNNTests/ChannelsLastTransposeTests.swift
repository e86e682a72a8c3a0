// The channels-last transposes against element-by-element loops, for every row width and
// position count from 1 to 27 (whole 8-blocks, the overlapping last block, the scalar rest
// below 8), with a pitch wider than the channels: every element lands where it should (the
// channels past c of a channels-last row zeroed), and nothing outside the destination's rows
// and planes is written.
import Testing
import SwiftNNKernels

@Test func rowToChannelsLastMatchesALoop() {
    let c = 16, pitch = 24, h = 2, sentinel: Float = -7
    for w in 1...27 {
        let plane = h * w
        let src = (0..<(c * plane)).map { Float($0) * 0.5 + 1 }
        var dst = [Float](repeating: sentinel, count: w * pitch + 8)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                // row 1 of each plane
                transposeRowToChannelsLast(s.baseAddress! + w, planeStride: plane, c: c, w: w, pitch: pitch, d.baseAddress!)
            }
        }
        var wrong = 0
        for x in 0..<w {
            for ch in 0..<pitch {
                let want = ch < c ? src[ch * plane + w + x] : 0
                if dst[x * pitch + ch] != want { wrong += 1 }
            }
        }
        let past = dst[(w * pitch)...].allSatisfy { $0 == sentinel }
        #expect(wrong == 0 && past, "width \(w): \(wrong) elements wrong, written past the rows: \(!past)")
    }
}

@Test(arguments: [false, true])
func transposeToPlanesMatchesALoop(accumulate: Bool) {
    let c = 16, pitch = 20, sentinel: Float = -7
    for positions in 1...27 {
        let planeStride = positions + 3
        let src = (0..<(positions * pitch)).map { Float($0) * 0.25 - 3 }
        let start = (0..<(c * planeStride + 8)).map { i in i % planeStride < positions && i < c * planeStride ? Float(i % 5) : sentinel }
        var dst = start
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                transposeToPlanes(s.baseAddress!, positions: positions, c: c, pitch: pitch, d.baseAddress!, planeStride: planeStride,
                                  accumulate: accumulate)
            }
        }
        var want = start
        for p in 0..<positions {
            for ch in 0..<c {
                let at = ch * planeStride + p
                want[at] = accumulate ? want[at] + src[p * pitch + ch] : src[p * pitch + ch]
            }
        }
        let wrong = zip(dst, want).filter { $0 != $1 }.count
        #expect(wrong == 0, "\(positions) positions, accumulate \(accumulate): \(wrong) elements differ from the loop's")
    }
}
