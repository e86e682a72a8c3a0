// Wide strided convolutions over few input channels (the DQN's 8x8/4 on 4 frames, a 7x7/2 stem on
// RGB) straight from the images, forward and weight gradient, instead of through patch panels:
// such a layer's patch is long (256 rows for 4 x 8 x 8) while its input is small, so the panels
// are the input copied once per tap at a stride (16x for 8x8/4), and in a DQN update those
// gathers cost two thirds as much as the products they fed. The forward is the inference plan's
// direct row kernel (DirectConvBody.swift) on the NCHW images, its channels-last rows
// transposed onto the output planes; the weight gradient runs the same loop with the roles
// turned (DirectWeightGradientBody.swift). The input gradient, where asked for, stays packed.
//
// Every output element is one FMA chain over the patch in (row, tap, channel) order, as the
// inference plan computes it, and every weight-gradient element one chain over the output
// positions in order, whichever worker runs it: the bits do not depend on the thread count.
import SwiftNNKernels

extension ConvPlan {
    /// The weights as the direct row kernel takes them: per 16 output channels a panel of the
    /// patch's rows in (ki, kj, channel) order, 16 floats each.
    func directPanels(_ weight: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let taps = kh * kw, patch = patchSize
        for q in 0..<(k / 16) {
            for ki in 0..<kh {
                for kj in 0..<kw {
                    for ch in 0..<c {
                        let row = dst + q * patch * 16 + ((ki * kw + kj) * c + ch) * 16
                        let src = weight + (q * 16 * c + ch) * taps + ki * kw + kj
                        for j in 0..<16 { row[j] = src[j * c * taps] }
                    }
                }
            }
        }
    }

    /// out = activation(conv(x, weight) + bias) by the direct row kernel: items of about 128
    /// output positions (whole rows of one image), each written channels-last into the worker's
    /// buffer, then transposed onto the output planes.
    func forwardStridedDirect(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                              _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let plane = outPlane, patch = patchSize, (oh, ow) = (geometry.outH, geometry.outW)
        let rows = max(1, min(oh, 128 / max(ow, 1)))
        let blocks = (oh + rows - 1) / rows, items = n * blocks
        let macs = saturatingProduct(n, k, patch, plane)
        let threads = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16))
        let workers = max(1, min(threads, items)), per = rows * ow * k
        let scratch = try Tensor(empty: [patch * k + k + workers * per], dtype: .float32, zeroed: false, fn)
        let panels = scratch.floats, zeroBias = panels + patch * k
        directPanels(weight, panels)
        zeroBias.update(repeating: 0, count: k)
        let g = DirectConvGeometry(c: c, h: h, w: w, kh: kh, kw: kw, sh: geometry.strideH, sw: geometry.strideW,
                                   ph: geometry.padH, pw: geometry.padW, dh: geometry.dilationH, dw: geometry.dilationW,
                                   rowStride: w, positionStride: 1, channelStride: h * w, ow: ow, ldc: k)
        let (lo, hi, rest) = clampBounds(activation)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: panels,
                                   bias: UnsafeMutablePointer(mutating: bias ?? UnsafePointer(zeroBias)), out: out,
                                   scratch: zeroBias + k)
        let (c, h, w, k) = (c, h, w, k)
        if workers > 1 { EngineThreads.shareOnePool() }  // as in forwardPacked
        let queue = RangedWorkQueue(count: items, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let buf = p.scratch + ctx.worker * per
            while let item = queue.claim(worker: ctx.worker) {
                let img = item / blocks, oy0 = (item - img * blocks) * rows, nr = min(rows, oh - oy0)
                let image = UnsafePointer(p.x + img * c * h * w)
                for r in 0..<nr {
                    directConvRow(image, g, oy: oy0 + r, UnsafePointer(p.weight), cols: k, UnsafePointer(p.bias!), residual: nil,
                                  buf + r * ow * k, lo: lo, hi: hi)
                }
                rest.apply(buf, count: nr * ow * k)
                transposeToPlanes(buf, positions: nr * ow, c: k, pitch: k, p.out + img * k * plane + oy0 * ow, planeStride: plane)
            }
        }
        withExtendedLifetime(scratch) {}
    }

    /// gw = the weight gradient by `directWeightGradient`: items of 32 output channels by one
    /// input channel's kernel row by 8 taps, dealt to the workers in equal runs; each worker
    /// takes the images in order and runs its items on each while the image's upstream gradient
    /// (made channels-last first, the workers sharing the images) is in its cache.
    func weightGradientStridedDirect(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gw: UnsafeMutablePointer<Float>,
                                     _ fn: String) throws {
        let plane = outPlane, (oh, ow) = (geometry.outH, geometry.outW)
        let (sh, sw, ph, pw) = (geometry.strideH, geometry.strideW, geometry.padH, geometry.padW)
        let tapBlocks = (kw + 7) / 8, items = c * kh * tapBlocks * (k / 32)
        // The kernel reads 8 taps a block: a copy of the images with their zero border and
        // floats to spare past each, unless every block is whole and nothing is padded.
        let copied = ph > 0 || pw > 0 || kw % 8 != 0
        let (hp, wp) = (h + 2 * ph, w + 2 * pw)
        // (each image's copy followed by the 16 floats padPlanes zeroes)
        let imageFloats = copied ? c * hp * wp + 16 : c * h * w, copyFloats = copied ? n * imageFloats : 0
        let macs = saturatingProduct(n, k, patchSize, plane)
        let workers = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16, items))
        let scratch = try Tensor(empty: [n * plane * k + items * 256 + copyFloats], dtype: .float32, zeroed: false, fn)
        let gT = scratch.floats, acc = gT + n * plane * k, images = acc + items * 256
        acc.update(repeating: 0, count: items * 256)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: copied ? images : UnsafeMutablePointer(mutating: x),
                                   bias: nil, out: gw, scratch: gT, gout: UnsafeMutablePointer(mutating: gout), sums: acc)
        let (c, h, w, k, kh, kw) = (c, h, w, k, kh, kw)
        /// An item's (input channel, kernel row, tap block, block of 32 filters), the last fastest.
        @Sendable func block(_ item: Int) -> (Int, Int, Int, Int) {
            let kb = item % (k / 32), rest = item / (k / 32)
            return (rest / (tapBlocks * kh), (rest / tapBlocks) % kh, rest % tapBlocks, kb)
        }
        if workers > 1 { EngineThreads.shareOnePool() }
        StepTeam.shared.run(workers: workers) { ctx in
            // the upstream gradient channels-last ([plane, k] per image), the images padded
            for img in stride(from: ctx.worker, to: n, by: ctx.workers) {
                transposeRowToChannelsLast(p.gout! + img * k * plane, planeStride: plane, c: k, w: plane, pitch: k,
                                           p.scratch + img * plane * k)
                if copied {
                    padPlanes(p.x + img * c * h * w, channels: c, height: h, width: w, padH: ph, padW: pw,
                              p.weight + img * imageFloats)
                }
            }
            ctx.barrier()
            let (i0, i1) = (items * ctx.worker / ctx.workers, items * (ctx.worker + 1) / ctx.workers)
            let acc = p.sums!
            for img in 0..<n {
                let image = UnsafePointer(p.weight + img * imageFloats), g = UnsafePointer(p.scratch + img * plane * k)
                for item in i0..<i1 {
                    let (ch, ki, tb, kb) = block(item)
                    directWeightGradient(image + ch * hp * wp + tb * 8, rowStride: wp, ki: ki, sh: sh, sw: sw, oh: oh, ow: ow,
                                         g + kb * 32, ldg: k, acc + item * 256)
                }
            }
            for item in i0..<i1 {
                let (ch, ki, tb, kb) = block(item)
                for j in 0..<min(8, kw - tb * 8) {
                    for o in 0..<32 {
                        p.out[((kb * 32 + o) * c + ch) * kh * kw + ki * kw + tb * 8 + j] = acc[item * 256 + (2 * j + o / 16) * 16 + o % 16]
                    }
                }
            }
        }
        withExtendedLifetime(scratch) {}
    }
}
