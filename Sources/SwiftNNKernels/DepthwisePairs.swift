// The depthwise kernel for narrow planes at stride 2 (CDepthwise/depthwise_pairs.h): two output
// rows a vector. AVX-512 only: elsewhere `DepthwisePairs.available` is false and callers keep
// their other paths (the same bits: every path runs the same chains).
#if arch(x86_64)
import CDepthwise
#endif

public enum DepthwisePairs {
    /// Whether the CPU can run the kernel (AVX-512).
    public static var supported: Bool {
        #if arch(x86_64)
        return PackedGemmKernels.avx512Supported
        #else
        return false
        #endif
    }

    /// Whether to use it: supported, and the AVX-512 kernels in use (SWIFTNN_NO_AVX512 unset;
    /// tests turn them off).
    public static var available: Bool { supported && PackedGemmKernels.useAVX512 }

    /// Whether the kernel takes this geometry: 3-wide taps at column stride 2, dilation 1
    /// along rows, at most 7 output columns, the 16-column load starting at or left of column 0.
    public static func fits(ow: Int, kw: Int, sw: Int, colStep: Int, colOrigin: Int) -> Bool {
        kw == 3 && sw == 2 && colStep == 1 && ow >= 1 && ow <= 7 && colOrigin <= 0 && colOrigin > -16
    }

    /// The kernel's table for a plane [h, w] at column stride 2 (see `fits`): output
    /// (oy, ox) reads row oy * sh + ki * rowStep + rowOrigin, column 2 ox + kj + colOrigin. Per
    /// pass of 8 output rows, tap row and output row of the pass: where its input row's 16
    /// columns start and which lanes lie inside the plane (none for a row outside it).
    public struct Table: Sendable {
        public let rows: [Int], masks: [UInt16], kh: Int, oh: Int, ow: Int

        public init(h: Int, w: Int, oh: Int, ow: Int, kh: Int, sh: Int, rowStep: Int, rowOrigin: Int, colOrigin: Int) {
            self.kh = kh; self.oh = oh; self.ow = ow
            var cols: UInt16 = 0
            for l in 0..<16 where l + colOrigin >= 0 && l + colOrigin < w { cols |= UInt16(1) << UInt16(l) }
            var rows = [Int](), masks = [UInt16]()
            for pass in 0..<((oh + 7) / 8) {
                for ki in 0..<kh {
                    for k in 0..<8 {
                        let r = (pass * 8 + k) * sh + ki * rowStep + rowOrigin, inside = r >= 0 && r < h
                        rows.append((inside ? r : 0) * w + colOrigin)
                        masks.append(inside ? cols : 0)
                    }
                }
            }
            self.rows = rows; self.masks = masks
        }
    }

    /// out [oh, ow] = initial + the kh x 3 taps over the plane x at column stride 2 as `table`
    /// says; `rows` and `masks` are the table's arrays (held by the caller across planes).
    @inline(__always)
    public static func run(_ x: UnsafePointer<Float>, _ table: Table, rows: UnsafePointer<Int>,
                           masks: UnsafePointer<UInt16>, _ weights: UnsafePointer<Float>, initial: Float,
                           _ out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        snn_depthwise_pairs_s2(x, rows, masks, table.kh, table.oh, table.ow, weights, initial, out)
        #else
        fatalError("DepthwisePairs.run: AVX-512 only (check DepthwisePairs.supported)")
        #endif
    }
}
