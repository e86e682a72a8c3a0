// The im2col convolution's forward and backward on the engine's packed GEMM kernels (SwiftNNKernels'
// gemmPacked) with whole groups of images per worker, instead of one OpenBLAS product per group
// of images. OpenBLAS runs its Haswell kernels here (OPENBLAS_CORETYPE=Haswell, DESIGN.md),
// at most about 134 GFLOP/s a thread, and splits each small product (32 or 64 filters by a few
// hundred positions) between its threads with a hand-off per product; the packed AVX-512
// kernel runs at about 265 GFLOP/s on one thread (bench-kernels), and a worker that takes whole
// images needs no hand-off but one per forward. Every output element is one FMA chain over
// the patch in order, whichever worker computes it and however the columns are blocked, so
// the result does not depend on the thread count. The weight gradient, a sum over images, is
// summed in a fixed number of partial sums (image groups dealt round-robin) added in order at
// the end, so it does not depend on the thread count either.
import SwiftNNKernels

extension ConvPlan {
    /// Whether `forward` and `backward` take the packed path: the im2col path (not the direct or
    /// depthwise kernels) on CPUs with AVX-512 (elsewhere the AVX2 kernels are no faster than
    /// OpenBLAS's). Decided by the CPU alone, not by `PackedGemmKernels.useAVX512`: turning the
    /// AVX-512 kernels off (SWIFTNN_NO_AVX512, tests) runs the same chains on the AVX2 kernels,
    /// so the results keep their bits.
    var usesPackedForward: Bool {
        !directKernel && !depthwise && PackedGemmKernels.avx512Supported
    }

    /// Columns of the patch matrix packed and multiplied at a time: the packed block (patch x
    /// width floats) stays within about 1 MB of the 2 MB L2 while the filters pass over it.
    var packedColumnBlock: Int {
        max(32, min(512, (1 << 18) / max(patchSize, 1) / 32 * 32))
    }

    /// out = activation(conv(x, weight) + bias) through im2col and gemmPacked, image groups of
    /// `imagesPerGemm` shared between the engine's workers as they come free. With fewer groups
    /// than workers (one image, or a batch whose small planes fit one group: MobileNetV2's 7x7
    /// layers at batch 8) a group is split too: one image's column blocks (unpadded windows,
    /// each item gathering its own panels) or else its output channels in row blocks (with
    /// shared panels, `forwardPackedRows`; padded windows: each row block redoes the group's
    /// im2col), so that every worker has a part (one worker ran each 1x1 convolution of an
    /// eager batch-1 forward whole). Each output element is one FMA chain over the patch either
    /// way.
    func forwardPacked(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                       _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let plane = outPlane, patch = patchSize, batch = imagesPerGemm
        let chunks = (n + batch - 1) / batch
        let macs = saturatingProduct(n, k, patch, plane)
        let threads = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16))
        // With fewer groups than workers: one image's columns split into their blocks when
        // there are several (each item then gathers only its own panels), else the output
        // channels into row blocks (whole 8-row kernel groups, at least 16 rows each).
        let few = chunks < threads, fromImages = patchPanelsApply(geometry)
        // One image's plane of 33 to packedColumnBlock positions (the DQN's 9x9 and 7x7 at batch
        // 1) in blocks of 32 columns, each worker gathering and multiplying its own: with row
        // blocks over shared panels, each call's panels were written by one worker and read by
        // both, and the eager acting forward had minutes at 0.38-0.42 ms, slower than on one
        // thread (0.31), the gathers 28% of its samples. Two-thread acting forward, 5 runs of
        // each build alternating: 0.214-0.227 -> 0.197-0.208 ms.
        let block = few && batch == 1 && fromImages && plane > 32 && plane <= packedColumnBlock ? 32 : packedColumnBlock
        let colBlocks = few && batch == 1 && fromImages && plane > block ? (plane + block - 1) / block : 1
        let rowBlocks = few && colBlocks == 1 ? max(1, min((kg + 15) / 16, (2 * threads + chunks - 1) / chunks)) : 1
        let rowBlock = rowBlocks == 1 ? kg : ((kg + rowBlocks - 1) / rowBlocks + 7) / 8 * 8
        let perChunk = colBlocks * max(1, (kg + rowBlock - 1) / max(rowBlock, 1))
        let items = chunks * perChunk
        let workers = max(1, min(threads, items))
        if rowBlock < kg && fromImages && groups == 1 {
            return try forwardPackedRows(x, weight, bias, out, activation: activation, rowBlock: rowBlock, workers: workers, fn)
        }
        // The convolutions run on the step team's workers; OpenBLAS's own threads beside them
        // (the net's linear layers) spun and yielded through the convolutions: 20% of a DQN
        // update went to the scheduler. From here on one pool serves both.
        if workers > 1 { EngineThreads.shareOnePool() }
        // (fromImages: unpadded windows go straight from the images into the packed blocks,
        // Im2ColPanels.swift.) Per worker: the patch matrix of one image group (padded windows)
        // and one block of it packed; per worker, or per group where groups are split into row
        // blocks, the group's [kg, columns] result before it is scattered to the images.
        let split = rowBlock < kg
        // Padded windows whose output rows are vector runs (stride 1, 2 or 4): the panels are
        // gathered as for unpadded ones, from a zero-bordered copy of the image group, instead of
        // writing its patch matrix and packing it (a 3x3 layer's matrix is 9 copies of the input).
        let padded = !fromImages && [1, 2, 4].contains(geometry.strideW)
        let (hp, wp) = (h + 2 * geometry.padH, w + 2 * geometry.padW)
        var paddedGeometry = geometry
        (paddedGeometry.height, paddedGeometry.width, paddedGeometry.padH, paddedGeometry.padW) = (hp, wp, 0, 0)
        let colFloats = fromImages ? 0 : padded ? batch * c * hp * wp + 16 : patch * batch * plane
        let panelFloats = packedPanelsCount(k: patch, n: block)
        let resultFloats = kg * batch * plane
        let per = colFloats + panelFloats + (split ? 0 : resultFloats)
        let scratch = try Tensor(empty: [workers * per + (split && batch > 1 ? chunks * resultFloats : 0)],
                                 dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out, scratch: scratch.floats)
        let (c, h, w, k, kg, cg, groups, geometry) = (c, h, w, k, kg, cg, groups, geometry)
        let shared = scratch.floats + workers * per
        let queue = RangedWorkQueue(count: items, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let col = p.scratch + ctx.worker * per, panels = col + colFloats
            while let item = queue.claim(worker: ctx.worker) {
                // item: image group j, then its row block (or column block) in order
                let j = item / perChunk, part = item - j * perChunk
                let r0 = colBlocks > 1 ? 0 : part * rowBlock, rows = min(rowBlock, kg - r0)
                let n0 = j * batch, nb = min(batch, n - n0), cols = nb * plane
                let (first, last) = colBlocks > 1 ? (part * block, min(cols, part * block + block)) : (0, cols)
                let result = split ? shared + j * resultFloats : panels + panelFloats
                if padded {
                    for i in 0..<nb {
                        padPlanes(p.x + (n0 + i) * c * h * w, channels: c, height: h, width: w, padH: geometry.padH,
                                  padW: geometry.padW, col + i * c * hp * wp)
                    }
                }
                for g in 0..<groups {
                    let xg = p.x + (n0 * c + g * cg) * h * w
                    if !fromImages && !padded {
                        for i in 0..<nb { im2col(xg + i * c * h * w, geometry, col + i * plane, ld: cols) }
                    }
                    // One image: its result rows are the output channels' planes themselves.
                    let dst = p.out + (n0 * k + g * kg) * plane
                    let target = nb == 1 ? dst : result
                    var c0 = first
                    while c0 < last {
                        let width = min(block, last - c0)
                        if fromImages {
                            im2colPanels(xg, imageStride: c * h * w, geometry, c0: c0, n: width, panels)
                        } else if padded {
                            im2colPanels(col + g * cg * hp * wp, imageStride: c * hp * wp, paddedGeometry, c0: c0, n: width,
                                         panels)
                        } else {
                            packRowsIntoPanels(panels, col + c0, ldb: cols, k: patch, n: width)
                        }
                        gemmPacked(m: rows, n: width, k: patch, a: p.weight + (g * kg + r0) * patch, lda: patch, packed: panels,
                                   c: target + r0 * cols + c0, ldc: cols, accumulate: false)
                        c0 += width
                    }
                    let biasG = p.bias.map { UnsafePointer($0 + g * kg + r0) }
                    if nb > 1 {
                        storeColumnBlocks(result + r0 * cols, rows: rows, blocks: nb, blockSize: plane, dst + r0 * plane,
                                          dstBlockStride: k * plane, bias: biasG)
                        if activation != .none {
                            for i in 0..<nb { activation.apply(dst + i * k * plane + r0 * plane, count: rows * plane) }
                        }
                    } else if colBlocks > 1 {
                        for r in r0..<(r0 + rows) {
                            let row = dst + r * plane + first
                            if let biasG { addRowBias(row, rows: 1, cols: last - first, biasG + (r - r0)) }
                            activation.apply(row, count: last - first)
                        }
                    } else {
                        if let biasG { addRowBias(dst + r0 * plane, rows: rows, cols: plane, biasG) }
                        activation.apply(dst + r0 * plane, count: rows * plane)
                    }
                }
            }
        }
        withExtendedLifetime(scratch) {}
    }
}

extension ConvPlan {
    /// Partial sums of the weight gradient: image group j goes to partial j % this, each a chain
    /// over its groups in order, the partials added in order. Fixed (not the thread count), so
    /// one thread and eight give the same bits; 4 lets up to 4 workers share a backward.
    static let weightGradientPartials = 4

    /// gw = the sum of the first `count` partials of `size` floats each, in order.
    static func addPartials(_ sums: Tensor, count: Int, size: Int, into gw: UnsafeMutablePointer<Float>) {
        gw.update(from: sums.floats, count: size)
        for s in 1..<max(count, 1) {
            let part = sums.floats + s * size
            for i in 0..<size { gw[i] += part[i] }
        }
    }

    /// `backward` through im2col and gemmPacked: for each image group, gw's partial +=
    /// G [kg, columns] @ patches^T, and gx's images = col2im(W^T @ G) (every image of gx is
    /// written once, so the caller need not zero it: `overwritesInputGradient`).
    func backwardPacked(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let plane = outPlane, patch = patchSize, batch = imagesPerGemm
        let chunks = (n + batch - 1) / batch
        let partials = min(chunks, ConvPlan.weightGradientPartials)
        let macs = saturatingProduct(n, k, patch, plane)
        let threads = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16))
        if chunks < threads && groups == 1 && patchPanelsApply(geometry) && patch >= 16 {
            return try backwardPackedSplit(gout, x, weight, gx: gx, gw: gw, workers: threads, fn)
        }
        let workers = max(1, min(threads, partials))
        if workers > 1 { EngineThreads.shareOnePool() }  // as in forwardPacked
        let cols = batch * plane
        // Per worker: the patch matrix (then W^T G in its place), its transpose packed for gw,
        // the group's upstream gradient gathered [kg, columns] and packed for gx.
        let colFloats = patch * cols, colPanels = packedPanelsCount(k: cols, n: patch)
        let gFloats = kg * cols, gPanels = packedPanelsCount(k: kg, n: cols)
        // Padded windows at stride 1: the weight gradient's panels gathered from a zero-bordered
        // copy of the images (unpadded windows there), 8 positions at a time transposed in
        // registers, instead of im2col and a transposing pack of its matrix (a padded 3x3
        // layer's 2.4 MB per image written, read and written again).
        let padded = !patchPanelsApply(geometry) && geometry.strideW == 1 && gw != nil
        let (hp, wp) = (h + 2 * geometry.padH, w + 2 * geometry.padW)
        let padFloats = padded ? batch * c * hp * wp + 16 : 0
        // (each worker's part col2imSlack floats from the next, which col2imOverwriting may read)
        let per = colFloats + colPanels + gFloats + gPanels + padFloats + col2imSlack
        let scratch = try Tensor(empty: [col2imSlack + workers * per], dtype: .float32, zeroed: false, fn)
        let sums = gw == nil ? nil : try Tensor(empty: [partials, k * patch], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: nil, out: gx ?? scratch.floats, scratch: scratch.floats + col2imSlack,
                                   gout: UnsafeMutablePointer(mutating: gout), sums: sums?.floats)
        let hasGx = gx != nil, fromImages = patchPanelsApply(geometry)
        let (c, h, w, k, kg, cg, groups, geometry, pointwise) = (c, h, w, k, kg, cg, groups, geometry, direct)
        let queue = WorkQueue(count: partials)
        StepTeam.shared.run(workers: workers) { ctx in
            let col = p.scratch + ctx.worker * per, colP = col + colFloats, gmat = colP + colPanels, gP = gmat + gFloats
            let xpad = gP + gPanels
            var paddedGeometry = geometry
            (paddedGeometry.height, paddedGeometry.width, paddedGeometry.padH, paddedGeometry.padW) = (hp, wp, 0, 0)
            let gout = UnsafePointer(p.gout!)
            while let slot = queue.claim() {
                for j in stride(from: slot, to: chunks, by: partials) {
                    let n0 = j * batch, nb = min(batch, n - n0), cols = nb * plane
                    if padded {
                        for i in 0..<nb {
                            padPlanes(p.x + (n0 + i) * c * h * w, channels: c, height: h, width: w, padH: geometry.padH,
                                      padW: geometry.padW, xpad + i * c * hp * wp)
                        }
                    }
                    for g in 0..<groups {
                        // This group's upstream gradient as a [kg, cols] matrix: for one image
                        // already one in place (kg rows of the plane), else gathered.
                        let gsrc = gout + (n0 * k + g * kg) * plane
                        let gm = nb == 1 ? UnsafeMutablePointer(mutating: gsrc) : gmat
                        if nb > 1 {
                            gatherColumnBlocks(gsrc, srcBlockStride: k * plane, rows: kg, blocks: nb, blockSize: plane, gmat)
                        }
                        let xg = p.x + (n0 * c + g * cg) * h * w
                        if let sums = p.sums {
                            // gw_g [kg, patch] (+)= G [kg, cols] @ col^T [cols, patch]
                            if fromImages {
                                im2colPanelsTransposed(xg, imageStride: c * h * w, geometry, n: cols, colP)
                            } else if padded {
                                im2colPanelsTransposed(xpad + g * cg * hp * wp, imageStride: c * hp * wp, paddedGeometry,
                                                       n: cols, colP)
                            } else {
                                for i in 0..<nb { im2col(xg + i * c * h * w, geometry, col + i * plane, ld: cols) }
                                packPanels(colP, col, ldw: cols, transposed: true, k: cols, c0: 0, n: patch)
                            }
                            gemmPacked(m: kg, n: patch, k: cols, a: gm, lda: cols, packed: colP,
                                       c: sums + slot * k * patch + g * kg * patch, ldc: patch, accumulate: j != slot)
                        }
                        if hasGx {
                            // dcol [patch, cols] = W_g^T [patch, kg] @ G [kg, cols], scattered back per image.
                            packRowsIntoPanels(gP, gm, ldb: cols, k: kg, n: cols)
                            let gxg = p.out + (n0 * c + g * cg) * h * w
                            // A 1x1 convolution at stride 1 without padding on one image: col2im
                            // is the identity, so the product goes straight to the input gradient.
                            let inPlace = pointwise && nb == 1
                            gemmPacked(m: patch, n: cols, k: kg, a: p.weight + g * kg * patch, lda: 1, ka: patch, packed: gP,
                                       c: inPlace ? gxg : col, ldc: cols, accumulate: false)
                            if !inPlace {
                                for i in 0..<nb { col2imOverwriting(col + i * plane, ld: cols, geometry, gxg + i * c * h * w) }
                            }
                        }
                    }
                }
            }
        }
        if let gw, let sums { ConvPlan.addPartials(sums, count: partials, size: k * patch, into: gw) }
        withExtendedLifetime((scratch, sums)) {}
    }
}

extension ConvPlan {
    /// `forwardPacked`'s row blocks for unpadded windows and one group of channels: per image
    /// group the workers first write the patch panels together (claiming column panels, each
    /// written once, where each row block gathering them all cost 4 gathers of a 1.5 MB matrix
    /// for a 7x7 layer of 960 channels at batch 8), then share the row blocks of the product,
    /// each with its bias, scatter and activation. The same chains as `forwardPacked`.
    /// Workers wait for the panels (and, before the next group rewrites them, for the
    /// products) to be done, not for each other: a helper that comes late finds the work done,
    /// and one that never comes is not waited for (barriers here doubled a batch-1 DQN acting
    /// forward in the machine's busy minutes).
    func forwardPackedRows(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                           _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, rowBlock: Int, workers: Int,
                           _ fn: String) throws {
        let plane = outPlane, patch = patchSize, batch = imagesPerGemm
        let chunks = (n + batch - 1) / batch, maxCols = batch * plane
        let blocks = (kg + rowBlock - 1) / rowBlock
        let panelFloats = packedPanelsCount(k: patch, n: maxCols), resultFloats = batch > 1 ? kg * maxCols : 0
        let scratch = try Tensor(empty: [panelFloats + resultFloats], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out, scratch: scratch.floats)
        let (c, h, w, k, kg, geometry) = (c, h, w, k, kg, geometry)
        let queues = (0..<chunks).map { _ in RangedWorkQueue(count: blocks, workers: workers) }
        // per group: its column panels to claim (2 at a time), panels written, row blocks done
        let panelQueues = (0..<chunks).map { j in WorkQueue(count: ((min(batch, n - j * batch) * plane + 15) / 16 + 1) / 2) }
        let packed = (0..<chunks).map { _ in CompletionCounter() }, multiplied = (0..<chunks).map { _ in CompletionCounter() }
        EngineThreads.shareOnePool()
        StepTeam.shared.run(workers: workers) { ctx in
            let panels = p.scratch, result = panels + panelFloats
            for j in 0..<chunks {
                let n0 = j * batch, nb = min(batch, n - n0), cols = nb * plane
                let xg = p.x + n0 * c * h * w, dst = p.out + n0 * k * plane
                let colPanels = (cols + 15) / 16
                while let pair = panelQueues[j].claim() {
                    let q0 = 2 * pair, q1 = min(colPanels, q0 + 2)
                    im2colPanels(xg, imageStride: c * h * w, geometry, c0: q0 * 16, n: min(cols, q1 * 16) - q0 * 16,
                                 panels + q0 * patch * 16)
                    packed[j].add()
                }
                packed[j].wait(for: panelQueues[j].count)
                while let b = queues[j].claim(worker: ctx.worker) {
                    let r0 = b * rowBlock, rows = min(rowBlock, kg - r0)
                    let target = nb == 1 ? dst : result
                    gemmPacked(m: rows, n: cols, k: patch, a: p.weight + r0 * patch, lda: patch, packed: panels,
                               c: target + r0 * cols, ldc: cols, accumulate: false)
                    let biasR = p.bias.map { UnsafePointer($0 + r0) }
                    if nb > 1 {
                        storeColumnBlocks(result + r0 * cols, rows: rows, blocks: nb, blockSize: plane, dst + r0 * plane,
                                          dstBlockStride: k * plane, bias: biasR)
                        if activation != .none {
                            for i in 0..<nb { activation.apply(dst + i * k * plane + r0 * plane, count: rows * plane) }
                        }
                    } else {
                        if let biasR { addRowBias(dst + r0 * plane, rows: rows, cols: plane, biasR) }
                        activation.apply(dst + r0 * plane, count: rows * plane)
                    }
                    multiplied[j].add()
                }
                // the panels are rewritten for the next group once every product has read them
                if j + 1 < chunks { multiplied[j].wait(for: blocks) }
            }
        }
        withExtendedLifetime(scratch) {}
    }

    /// `backwardPacked` with fewer image groups than workers (MobileNetV2's 7x7 layers at batch
    /// 8: one group; 14x14: three for two workers), for unpadded windows and one group of
    /// channels: each image group's work is split instead of given to one worker. Per group, the
    /// workers first gather the upstream gradient G [kg, columns] and pack it, then share two
    /// kinds of items: blocks of 16-row panels of the patch matrix's transpose, each one
    /// worker's slice of the weight gradient G @ patches^T (its own panels gathered), and blocks
    /// of input channels, each W^T G for those channels' patch rows scattered back (col2im of
    /// those channels). Every element is the same chain as in `backwardPacked` (over the group's
    /// columns, or over kg), and group j's weight gradient is partial j as there, so the bits do
    /// not depend on the split or the thread count.
    func backwardPackedSplit(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                             gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, workers: Int, _ fn: String) throws {
        let plane = outPlane, patch = patchSize, batch = imagesPerGemm, taps = kh * kw
        let chunks = (n + batch - 1) / batch, partials = min(chunks, ConvPlan.weightGradientPartials)
        let maxCols = batch * plane
        // Weight-gradient items: runs of 16-row panels of patches^T; input-gradient items: runs
        // of input channels (whole kernels' patch rows), each at least 16 patch rows.
        let patchPanels = (patch + 15) / 16
        let panelRun = max(1, (patchPanels + 2 * workers - 1) / (2 * workers))
        let gwItems = gw == nil ? 0 : (patchPanels + panelRun - 1) / panelRun
        let channelRun = max((16 + taps - 1) / taps, (c + 2 * workers - 1) / (2 * workers))
        let gxItems = gx == nil ? 0 : (c + channelRun - 1) / channelRun
        // Shared: G gathered [kg, cols] and packed; per worker: its panels of patches^T, or its
        // channels' rows of W^T G before col2im.
        let gFloats = kg * maxCols, gPanels = packedPanelsCount(k: kg, n: maxCols)
        // (each worker's part col2imSlack floats from the next, which col2imOverwriting may read)
        let per = max(packedPanelsCount(k: maxCols, n: panelRun * 16), channelRun * taps * maxCols) + col2imSlack
        let scratch = try Tensor(empty: [col2imSlack + gFloats + gPanels + workers * per], dtype: .float32, zeroed: false, fn)
        let sums = gw == nil ? nil : try Tensor(empty: [partials, k * patch], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: nil, out: gx ?? scratch.floats, scratch: scratch.floats + col2imSlack,
                                   gout: UnsafeMutablePointer(mutating: gout), sums: sums?.floats)
        let hasGx = gx != nil, (c, h, w, k, kg, geometry, pointwise) = (c, h, w, k, kg, geometry, direct)
        let queues = (0..<chunks).map { _ in RangedWorkQueue(count: gwItems + gxItems, workers: workers) }
        EngineThreads.shareOnePool()
        StepTeam.shared.run(workers: workers) { ctx in
            let gmat = p.scratch, gP = gmat + gFloats, mine = gP + gPanels + ctx.worker * per
            let gout = UnsafePointer(p.gout!)
            for j in 0..<chunks {
                let n0 = j * batch, nb = min(batch, n - n0), cols = nb * plane
                let gsrc = gout + n0 * k * plane
                let gm = nb == 1 ? UnsafeMutablePointer(mutating: gsrc) : gmat
                // G's rows, then its column panels, split between the workers present
                let (r0, r1) = (kg * ctx.worker / ctx.workers, kg * (ctx.worker + 1) / ctx.workers)
                if nb > 1 && r1 > r0 {
                    gatherColumnBlocks(gsrc + r0 * plane, srcBlockStride: k * plane, rows: r1 - r0, blocks: nb, blockSize: plane,
                                       gmat + r0 * cols)
                }
                ctx.barrier()
                let colPanels = (cols + 15) / 16
                let (q0, q1) = (colPanels * ctx.worker / ctx.workers, colPanels * (ctx.worker + 1) / ctx.workers)
                if hasGx && q1 > q0 {
                    packRowsIntoPanels(gP + q0 * kg * 16, gm + q0 * 16, ldb: cols, k: kg, n: min(cols, q1 * 16) - q0 * 16)
                }
                ctx.barrier()
                let xg = p.x + n0 * c * h * w, gxg = p.out + n0 * c * h * w
                while let item = queues[j].claim(worker: ctx.worker) {
                    if item < gwItems, let sums = p.sums {
                        // gw[:, its 16-row panels' columns] (+)= G @ those panels of patches^T
                        let pa = item * panelRun, pb = min(patchPanels, pa + panelRun), col0 = pa * 16
                        im2colPanelsTransposed(xg, imageStride: c * h * w, geometry, n: cols, panels: pa..<pb, mine)
                        gemmPacked(m: kg, n: min(patch, pb * 16) - col0, k: cols, a: gm, lda: cols, packed: mine,
                                   c: sums + (j % partials) * k * patch + col0, ldc: patch, accumulate: j >= partials)
                    } else {
                        // rows of W^T G for channels ch0 ..< ch0 + chn, then their col2im
                        let ch0 = (item - gwItems) * channelRun, chn = min(channelRun, c - ch0)
                        let inPlace = pointwise && nb == 1
                        gemmPacked(m: chn * taps, n: cols, k: kg, a: p.weight + ch0 * taps, lda: 1, ka: patch, packed: gP,
                                   c: inPlace ? gxg + ch0 * h * w : mine, ldc: cols, accumulate: false)
                        if !inPlace {
                            var part = geometry
                            part.channels = chn
                            for i in 0..<nb { col2imOverwriting(mine + i * plane, ld: cols, part, gxg + i * c * h * w + ch0 * h * w) }
                        }
                    }
                }
                ctx.barrier()  // the shared G and its panels are rewritten for the next group
            }
        }
        if let gw, let sums { ConvPlan.addPartials(sums, count: partials, size: k * patch, into: gw) }
        withExtendedLifetime((scratch, sums)) {}
    }
}

/// The operands handed to the workers (each writes only its own images' outputs and its own
/// part of the scratch).
struct PackedConvPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?
    let out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    var gout: UnsafeMutablePointer<Float>? = nil, sums: UnsafeMutablePointer<Float>? = nil
}
