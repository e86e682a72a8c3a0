// The patch panels written straight from the images (SwiftNNKernels/Im2ColPanels.swift) against
// the patch matrix built element by element and packed as gemmPacked reads it: equal bits, for
// strides and dilations whose rows are vector runs (1, 2, 4: one run per panel, two, three,
// more than four) and ones that are not (3), with columns crossing rows and images; and no
// read past the images: the source ends at an inaccessible page, so an over-read crashes.
import Testing
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#endif

/// `count` floats ending exactly where a PROT_NONE page begins, filled with distinct values.
private final class GuardedFloats {
    let base: UnsafeMutableRawPointer, length: Int, floats: UnsafeMutablePointer<Float>

    init(count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count * 4 + page - 1) / page
        length = (dataPages + 1) * page
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw PatchPanelsTestError.mmap }
        base = p
        #expect(mprotect(p + dataPages * page, page, PROT_NONE) == 0)
        floats = (p + dataPages * page - count * 4).bindMemory(to: Float.self, capacity: count)
        for i in 0..<count { floats[i] = Float(i % 9973) + Float(i / 9973) * 0.5 + 0.25 }
    }

    deinit { munmap(base, length) }
}

private enum PatchPanelsTestError: Error { case mmap }

/// Patch matrix entry (row r, column q) of images `imageStride` floats apart.
private func patchEntry(_ src: UnsafePointer<Float>, _ g: WindowGeometry, imageStride: Int, row r: Int, column q: Int) -> Float {
    let c = r / (g.kernelH * g.kernelW), ki = r / g.kernelW % g.kernelH, kj = r % g.kernelW
    let image = q / g.outPlane, oy = q % g.outPlane / g.outW, ox = q % g.outW
    let y = oy * g.strideH + ki * g.dilationH, x = ox * g.strideW + kj * g.dilationW
    return src[image * imageStride + c * g.inPlane + y * g.width + x]
}

@Test(arguments: [
    // (channels, height, width, kernel, stride, dilation, images): the DQN's 8x8/4 (20-wide
    // rows: one or two runs per panel) and 4x4/2 (9-wide: two or three), a 3x3 at stride 1 on
    // 7-wide rows, 6-wide rows at stride 2 (three runs and more than four), stride 3 (element
    // by element), dilation 2 in the transposed panels' kernel rows, and a 1x1 at stride 4.
    (4, 84, 84, 8, 4, 1, 2), (32, 20, 20, 4, 2, 1, 3), (5, 9, 9, 3, 1, 1, 3), (3, 13, 13, 3, 2, 1, 2),
    (2, 17, 16, 5, 3, 1, 2), (3, 12, 12, 3, 1, 2, 2), (6, 17, 17, 1, 4, 1, 3),
    // The transposed panels' blocks of 8 positions: rows of 16 (every block in one row), a 1x1
    // at stride 1 on 5x5 maps (positions consecutive across rows, blocks crossing images), and
    // 1x1 maps (16 consecutive patch rows: gatherPanel's copy).
    (16, 18, 18, 3, 1, 1, 2), (24, 5, 5, 1, 1, 1, 3), (32, 1, 1, 1, 1, 1, 20),
])
func patchPanelsEqualThePackedPatchMatrix(_ c: Int, _ h: Int, _ w: Int, _ kernel: Int, _ stride: Int, _ dilation: Int,
                                          _ images: Int) throws {
    let span = dilation * (kernel - 1) + 1
    let g = WindowGeometry(channels: c, height: h, width: w, kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
                           padH: 0, padW: 0, dilationH: dilation, dilationW: dilation,
                           outH: (h - span) / stride + 1, outW: (w - span) / stride + 1)
    #expect(patchPanelsApply(g))
    let imageStride = c * h * w, source = try GuardedFloats(count: images * imageStride)
    let src = UnsafePointer(source.floats), k = g.patchSize, columns = images * g.outPlane
    // Forward panels of columns [c0, c0 + n): from the first column, and from one inside the
    // second image to the last (the reads nearest the page's end).
    for (c0, n) in [(0, columns), (g.outPlane + 3, columns - g.outPlane - 3)] {
        let panels = [Float](unsafeUninitializedCapacity: packedPanelsCount(k: k, n: n)) { buffer, count in
            im2colPanels(src, imageStride: imageStride, g, c0: c0, n: n, buffer.baseAddress!)
            count = buffer.count
        }
        let wrong = wrongEntries(panels, inner: n, outer: k) { q, r in
            patchEntry(src, g, imageStride: imageStride, row: r, column: c0 + q)
        }
        #expect(wrong == 0, "\(g.kernelH)x\(g.kernelW)/\(stride) dilation \(dilation): \(wrong) wrong entries of panels from column \(c0)")
    }
    // Transposed panels (16 patch rows per panel, for every column), all of them and a range.
    let transposed = [Float](unsafeUninitializedCapacity: packedPanelsCount(k: columns, n: k)) { buffer, count in
        im2colPanelsTransposed(src, imageStride: imageStride, g, n: columns, buffer.baseAddress!)
        count = buffer.count
    }
    let wrong = wrongEntries(transposed, inner: k, outer: columns) { r, q in
        patchEntry(src, g, imageStride: imageStride, row: r, column: q)
    }
    #expect(wrong == 0, "\(g.kernelH)x\(g.kernelW)/\(stride) dilation \(dilation): \(wrong) wrong entries of the transposed panels")
    let panelCount = (k + 15) / 16, range = (panelCount / 2)..<panelCount
    let part = [Float](unsafeUninitializedCapacity: range.count * columns * 16) { buffer, count in
        im2colPanelsTransposed(src, imageStride: imageStride, g, n: columns, panels: range, buffer.baseAddress!)
        count = buffer.count
    }
    let partWrong = zip(part, transposed[(range.lowerBound * columns * 16)...]).filter { $0.bitPattern != $1.bitPattern }.count
    #expect(partWrong == 0, "panels \(range) alone: \(partWrong) entries differ from the full transposed panels")
}

/// Entries of `panels` (packed 16 inner indices per panel, for each of `outer` outer indices)
/// whose bits differ from want(inner, outer), or from 0 past the last inner index.
private func wrongEntries(_ panels: [Float], inner: Int, outer: Int, _ want: (Int, Int) -> Float) -> Int {
    var wrong = 0
    for p in 0..<(inner + 15) / 16 {
        for o in 0..<outer {
            for j in 0..<16 {
                let i = 16 * p + j
                if panels[(p * outer + o) * 16 + j].bitPattern != (i < inner ? want(i, o) : 0).bitPattern { wrong += 1 }
            }
        }
    }
    return wrong
}
