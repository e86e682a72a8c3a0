// The recurrent step products on their own: gemmPacked with the AVX-512 and the AVX2 kernels,
// called alternately in one process, on the shapes of bench_lstm.py's layer (one worker's
// rows of [x_t | h] [384] times W_ih^T over W_hh^T [384 x 1024], 100 steps). Prints each
// kernel set's best, median and q90 time and GFLOP/s (the FMA peak here is about 117).
//
//     swift run -c release bench-kernels [--rows 16] [--reps 40] [--threads 2]
//
// `--im2col` instead times im2col on the Nature DQN network's three convolutions (batch 32,
// images grouped as ConvPlan groups them): the general loop (im2colPadded) against the one
// for unpadded windows (im2colValid), alternating, and checks they write the same matrix; then
// the packed panels the products take, made by im2col + packing against straight from the
// images (im2colPanels, im2colPanelsTransposed), checking they write the same panels.
// `--col2im` times zero + col2im against col2imOverwriting on its two input gradients.
// `--pointwise`, `--depthwise-nhwc` and `--direct` time the inference plan's kernels (see
// their files).
//
// --threads 2 runs the same loop on a second thread at the same time (both cores busy, as in
// a 2-thread layer); each thread prints its own line.
import Glibc
import SwiftNNKernels

nonisolated func seconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

nonisolated func option(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]), v > 0 else { return fallback }
    return v
}

/// One thread's measurement, on its own copies of the operands. (nonisolated: the second
/// thread is a plain pthread.)
nonisolated func measure(label: String, rows: Int, reps: Int) -> String {
    let K = 384, H = 256, gates = 4, N = gates * H, steps = 100
    let w = UnsafeMutablePointer<Float>.allocate(capacity: N * K)
    for i in 0..<(N * K) { w[i] = Float((i &* 7919) % 1000) / 1000 - 0.5 }
    let perGate = packedPanelsCount(k: K, n: H)
    let panels = UnsafeMutablePointer<Float>.allocate(capacity: perGate * gates)
    for g in 0..<gates {
        packPanels(panels + g * perGate, UnsafePointer(w), ldw: K, transposed: true, k: K, c0: g * H, n: H)
    }
    let a = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rows * K)
    for i in 0..<(2 * rows * K) { a[i] = Float(i % 13) / 13 - 0.5 }
    let c = UnsafeMutablePointer<Float>.allocate(capacity: rows * N)
    func layer(_ avx512: Bool) -> Double {
        let t0 = seconds()
        for s in 0..<steps {
            for g in 0..<gates {
                gemmPacked(m: rows, n: H, k: K, a: a + (s % 2) * rows * K, lda: K, packed: panels + g * perGate,
                           c: c + g * H, ldc: N, accumulate: false, avx512: avx512)
            }
        }
        return seconds() - t0
    }
    var wide: [Double] = [], narrow: [Double] = []
    _ = layer(true); _ = layer(false)
    for _ in 0..<reps {
        if PackedGemmKernels.avx512Supported { wide.append(layer(true)) }
        narrow.append(layer(false))
    }
    let flop = 2.0 * Double(rows * K * N * steps)
    func line(_ name: String, _ t: [Double]) -> String {
        guard !t.isEmpty else { return "\(name): not supported on this CPU" }
        let s = t.sorted(), q = { (f: Double) in s[Int(Double(s.count - 1) * f)] * 1e3 }
        let best = String(Int((flop / s[0] / 1e9).rounded()))
        return "\(name): best \(fmt(q(0))) ms (\(best) GFLOP/s), median \(fmt(q(0.5))), q90 \(fmt(q(0.9)))"
    }
    return "\(label) \(rows) rows x \(steps) steps: " + line("AVX-512 8x32", wide) + " | " + line("AVX2 6x16", narrow)
}

/// An option that may be 0 (absent: 0).
nonisolated func optionZero(_ name: String) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]), v >= 0 else { return 0 }
    return v
}

/// Median seconds per call of `run` over `reps` timings of `inner` calls each (the caller has
/// made a warm-up call).
nonisolated func medianSeconds(reps: Int, inner: Int, _ run: () -> Void) -> Double {
    var ts = [Double]()
    for _ in 0..<reps {
        let t0 = seconds()
        for _ in 0..<inner { run() }
        ts.append((seconds() - t0) / Double(inner))
    }
    ts.sort()
    return ts[reps / 2]
}

nonisolated func fmt(_ x: Double) -> String {
    let r = (x * 100).rounded() / 100
    return "\(r)"
}

@main
enum BenchKernels {
    static func main() {
        if CommandLine.arguments.contains("--im2col") { return benchIm2col(reps: option("--reps", 40)) }
        if CommandLine.arguments.contains("--col2im") { return benchCol2im(reps: option("--reps", 40)) }
        if CommandLine.arguments.contains("--pointwise") { return benchPointwise(reps: option("--reps", 21), block: option("--block", 64), only: CommandLine.arguments.contains("--only") ? option("--only", 0) : nil) }
        if CommandLine.arguments.contains("--direct") { return benchDirect(reps: option("--reps", 21)) }
        if CommandLine.arguments.contains("--depthwise-nhwc") {
            return benchDepthwiseNHWC(reps: option("--reps", 21), band: option("--band", 4), offset: optionZero("--offset"))
        }
        let rows = option("--rows", 16), reps = option("--reps", 40), threads = min(option("--threads", 1), 2)
        guard threads == 2 else {
            print(measure(label: "1 thread:", rows: rows, reps: reps))
            return
        }
        let box = Box(rows, reps)
        var thread = pthread_t()
        pthread_create(&thread, nil, secondThread, Unmanaged.passRetained(box).toOpaque())
        let mine = measure(label: "thread 1:", rows: rows, reps: reps)
        pthread_join(thread, nil)
        print(mine)
        print(box.text)
    }
}

/// The second thread's measurement and its result.
final class Box: @unchecked Sendable {
    var text = ""
    let rows: Int, reps: Int
    init(_ rows: Int, _ reps: Int) { self.rows = rows; self.reps = reps }
}

nonisolated func secondThread(_ p: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let p else { return nil }
    let box = Unmanaged<Box>.fromOpaque(p).takeRetainedValue()
    box.text = measure(label: "thread 2:", rows: box.rows, reps: box.reps)
    return nil
}

/// col2im onto a zeroed image against col2imOverwriting on the DQN's two input gradients (batch
/// 32, images grouped as ConvPlan groups them), one thread, alternating; checks they agree.
nonisolated func benchCol2im(reps: Int) {
    for (c, size, k, st) in [(32, 20, 4, 2), (64, 9, 3, 1)] {
        let out = (size - k) / st + 1, plane = out * out, patch = c * k * k, batch = 32
        var images = max(1, min(batch, (512 + plane - 1) / plane))
        while images > 1 && patch * plane * images > 1 << 20 { images -= 1 }
        let g = WindowGeometry(channels: c, height: size, width: size, kernelH: k, kernelW: k, strideH: st, strideW: st,
                               padH: 0, padW: 0, dilationH: 1, dilationW: 1, outH: out, outW: out)
        let cols = images * plane, imageFloats = c * size * size
        let raw = UnsafeMutablePointer<Float>.allocate(capacity: patch * cols + 2 * col2imSlack)
        for i in 0..<(patch * cols + 2 * col2imSlack) { raw[i] = Float(i % 251) / 251 }
        let col = raw + col2imSlack
        let a = UnsafeMutablePointer<Float>.allocate(capacity: images * imageFloats)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: images * imageFloats)
        func pass(_ rows: Bool) -> Double {
            let t0 = seconds()
            for _ in stride(from: 0, to: batch, by: images) {
                for i in 0..<images {
                    if rows {
                        col2imOverwriting(col + i * plane, ld: cols, g, b + i * imageFloats)
                    } else {
                        (a + i * imageFloats).update(repeating: 0, count: imageFloats)
                        col2im(col + i * plane, ld: cols, g, a + i * imageFloats)
                    }
                }
            }
            return seconds() - t0
        }
        var scatter: [Double] = [], rows: [Double] = []
        for _ in 0..<reps { scatter.append(pass(false)); rows.append(pass(true)) }
        let same = (0..<(images * imageFloats)).allSatisfy { a[$0].bitPattern == b[$0].bitPattern }
        let ms = { (t: [Double]) in fmt(t.sorted()[t.count / 2] * 1e3) }
        print("\(c)x\(size)x\(size) k\(k)/\(st), \(images) images a group: zero + col2im \(ms(scatter)) ms, col2imOverwriting \(ms(rows)) ms (median, whole batch)\(same ? "" : " DIFFER")")
    }
}

/// im2colPadded against im2colValid on the DQN shapes (see the header).
nonisolated func benchIm2col(reps: Int) {
    let shapes = [(4, 84, 8, 4), (32, 20, 4, 2), (64, 9, 3, 1)]  // channels, size, kernel, stride
    for (c, size, k, st) in shapes {
        let out = (size - k) / st + 1, plane = out * out, patch = c * k * k, batch = 32
        var images = max(1, min(batch, (512 + plane - 1) / plane))
        while images > 1 && patch * plane * images > 1 << 20 { images -= 1 }
        let g = WindowGeometry(channels: c, height: size, width: size, kernelH: k, kernelW: k, strideH: st, strideW: st,
                               padH: 0, padW: 0, dilationH: 1, dilationW: 1, outH: out, outW: out)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: batch * c * size * size)
        for i in 0..<(batch * c * size * size) { x[i] = Float(i % 251) }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: patch * plane * images)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: patch * plane * images)
        func pass(_ valid: Bool) -> Double {
            let t0 = seconds()
            for n0 in stride(from: 0, to: batch, by: images) {
                let nb = min(images, batch - n0)
                for i in 0..<nb {
                    let xi = x + (n0 + i) * c * size * size
                    if valid { im2colValid(xi, g, b + i * plane, ld: nb * plane) } else { im2colPadded(xi, g, a + i * plane, ld: nb * plane) }
                }
            }
            return seconds() - t0
        }
        // The packed operands ConvPacked.swift makes from the patch matrix: column blocks of
        // `block` for the forward product, the whole transpose for the weight gradient's.
        let block = max(32, min(512, (1 << 18) / patch / 32 * 32))
        let panelsA = UnsafeMutablePointer<Float>.allocate(capacity: packedPanelsCount(k: patch, n: block))
        let panelsB = UnsafeMutablePointer<Float>.allocate(capacity: packedPanelsCount(k: patch, n: block))
        let tA = UnsafeMutablePointer<Float>.allocate(capacity: packedPanelsCount(k: plane * images, n: patch))
        let tB = UnsafeMutablePointer<Float>.allocate(capacity: packedPanelsCount(k: plane * images, n: patch))
        func packs(_ direct: Bool, transposed: Bool) -> Double {
            let t0 = seconds()
            for n0 in stride(from: 0, to: batch, by: images) {
                let nb = min(images, batch - n0), cols = nb * plane
                let xg = x + n0 * c * size * size
                if direct {
                    if transposed {
                        im2colPanelsTransposed(xg, imageStride: c * size * size, g, n: cols, tB)
                    } else {
                        for c0 in stride(from: 0, to: cols, by: block) {
                            im2colPanels(xg, imageStride: c * size * size, g, c0: c0, n: min(block, cols - c0), panelsB)
                        }
                    }
                } else {
                    for i in 0..<nb { im2colValid(xg + i * c * size * size, g, b + i * plane, ld: cols) }
                    if transposed {
                        packPanels(tA, b, ldw: cols, transposed: true, k: cols, c0: 0, n: patch)
                    } else {
                        for c0 in stride(from: 0, to: cols, by: block) {
                            packRowsIntoPanels(panelsA, b + c0, ldb: cols, k: patch, n: min(block, cols - c0))
                        }
                    }
                }
            }
            return seconds() - t0
        }
        var general: [Double] = [], valid: [Double] = [], twoPass: [Double] = [], onePass: [Double] = []
        var twoPassT: [Double] = [], onePassT: [Double] = []
        for _ in 0..<reps {
            general.append(pass(false)); valid.append(pass(true))
            twoPass.append(packs(false, transposed: false)); onePass.append(packs(true, transposed: false))
            twoPassT.append(packs(false, transposed: true)); onePassT.append(packs(true, transposed: true))
        }
        // Both ways end on the same last group: its last forward block and its whole transpose agree.
        let lastCols = (batch - (batch - 1) / images * images) * plane
        let lastBlock = lastCols - (lastCols - 1) / block * block
        var samePanels = true
        for i in 0..<packedPanelsCount(k: patch, n: lastBlock) where panelsA[i] != panelsB[i] { samePanels = false; break }
        for i in 0..<packedPanelsCount(k: lastCols, n: patch) where tA[i] != tB[i] { samePanels = false; break }
        var same = true
        for i in 0..<(patch * plane * images) where a[i] != b[i] { same = false; break }
        func med(_ v: [Double]) -> String { fmt(v.sorted()[reps / 2] * 1e3) }
        print("conv \(k)x\(k)/\(st) on \(c)x\(size)x\(size), batch \(batch): im2col general \(med(general)) ms, valid \(med(valid)) ms (same matrix: \(same)); "
              + "panels for the forward: im2col + pack \(med(twoPass)) ms, direct \(med(onePass)) ms; "
              + "for the weight gradient: \(med(twoPassT)) ms, direct \(med(onePassT)) ms (same panels: \(samePanels))")
    }
}
