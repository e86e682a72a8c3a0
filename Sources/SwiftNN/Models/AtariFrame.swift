// The DQN papers' Atari frame: the pixel-wise max of the last two grayscale screens (sprites
// flicker on the 2600: some are drawn only on odd frames) resized to 84x84 by area averaging
// (OpenCV's INTER_AREA, which gymnasium's AtariPreprocessing uses: each output pixel is the
// mean of the input pixels it covers, fractional overlaps weighted), rounded to bytes.

public enum AtariFrame {
    /// Writes the outH x outW frame of `a` (and `b`, if given: the element-wise max first),
    /// both height x width bytes, row-major.
    public static func preprocess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer?, height: Int, width: Int,
                                  into out: UnsafeMutableRawBufferPointer, outHeight: Int, outWidth: Int) throws {
        let fn = "AtariFrame.preprocess"
        guard height >= 1, width >= 1, height <= 1 << 14, width <= 1 << 14, outHeight >= 1, outWidth >= 1,
              outHeight <= height, outWidth <= width else {
            throw SNNError.invalid("\(fn): cannot shrink \(height)x\(width) to \(outHeight)x\(outWidth) (sides must be >= 1, at most 16384, and the output no larger than the input)")
        }
        guard a.count == height * width, b.map({ $0.count == height * width }) ?? true, out.count == outHeight * outWidth else {
            throw SNNError.shape("\(fn): expected screens of \(height * width) bytes and an output of \(outHeight * outWidth) bytes, got \(a.count)\(b.map { ", \($0.count)" } ?? "") and \(out.count)")
        }
        let cols = weights(width, outWidth), rows = weights(height, outHeight)
        // Rows first: each output row is a weighted sum of input rows (of the max-pooled screen).
        var tmp = [Float](repeating: 0, count: outHeight * width)
        for (oy, taps) in rows.enumerated() {
            for (y, w) in taps {
                let base = y * width
                for x in 0..<width {
                    var v = a[base + x]
                    if let b { v = Swift.max(v, b[base + x]) }
                    tmp[oy * width + x] += w * Float(v)
                }
            }
        }
        for oy in 0..<outHeight {
            for (ox, taps) in cols.enumerated() {
                var s: Float = 0
                for (x, w) in taps { s += w * tmp[oy * width + x] }
                out[oy * outWidth + ox] = UInt8(Swift.min(Swift.max(s.rounded(), 0), 255))
            }
        }
    }

    /// For each output index, the input indices it covers and their weights (summing to 1).
    static func weights(_ n: Int, _ m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        return (0..<m).map { o in
            let lo = Double(o) * scale, hi = Double(o + 1) * scale
            var taps: [(Int, Float)] = []
            var i = Int(lo)
            while Double(i) < hi && i < n {
                let w = Swift.min(hi, Double(i + 1)) - Swift.max(lo, Double(i))
                if w > 1e-12 { taps.append((i, Float(w / scale))) }
                i += 1
            }
            return taps
        }
    }
}
