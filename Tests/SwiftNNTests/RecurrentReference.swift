// An independent reference for the recurrent layers: PyTorch's equations in plain Double loops,
// one sequence and one step at a time, sharing no code with the engine (for sizes too large
// for golden files, where the engine splits work over several workers).
#if canImport(Glibc)
import Glibc
#endif

struct ReferenceRNN {
    enum Cell { case tanh, relu, lstm, gru }
    let cell: Cell
    let T: Int, B: Int, I: Int, H: Int, L: Int, D: Int
    let batchFirst: Bool
    var gates: Int { cell == .lstm ? 4 : cell == .gru ? 3 : 1 }

    /// x in the input layout; weights per layer and direction [w_ih, w_hh, b_ih, b_hh];
    /// h0/c0 [L*D, B, H] or nil. Returns output (input layout, D*H features), h_n, c_n.
    func run(x: [Float], weights: [[Float]], h0: [Float]?, c0: [Float]?, lengths: [Int]?) -> (out: [Double], hN: [Double], cN: [Double]) {
        var input = (0..<T).map { t in (0..<B).map { b in
            (0..<I).map { i in Double(x[(batchFirst ? b * T + t : t * B + b) * I + i]) } } }  // [t][b][i]
        var hN = [Double](repeating: 0, count: L * D * B * H), cN = hN
        for l in 0..<L {
            let inSize = l == 0 ? I : D * H
            var next = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: D * H), count: B), count: T)
            for d in 0..<D {
                let w = weights[(l * D + d) * 4 ..< (l * D + d) * 4 + 4].map { $0.map(Double.init) }
                let (wih, whh, bih, bhh) = (w[0], w[1], w[2], w[3])
                for b in 0..<B {
                    let len = lengths?[b] ?? T
                    let s = (l * D + d) * B * H + b * H
                    var h = (0..<H).map { j in h0.map { Double($0[s + j]) } ?? 0 }
                    var c = (0..<H).map { j in c0.map { Double($0[s + j]) } ?? 0 }
                    for step in 0..<len {
                        let t = d == 0 ? step : len - 1 - step
                        let xt = input[t][b]
                        func pre(_ row: Int) -> (Double, Double) {  // (x side + b_ih, h side + b_hh)
                            var a = bih[row], q = bhh[row]
                            for i in 0..<inSize { a += wih[row * inSize + i] * xt[i] }
                            for j in 0..<H { q += whh[row * H + j] * h[j] }
                            return (a, q)
                        }
                        var hNew = h
                        for j in 0..<H {
                            switch cell {
                            case .tanh, .relu:
                                let (a, q) = pre(j)
                                hNew[j] = cell == .tanh ? tanh(a + q) : max(0, a + q)
                            case .lstm:
                                let g = (0..<4).map { k -> Double in let (a, q) = pre(k * H + j); return a + q }
                                let (ig, fg, gg, og) = (sig(g[0]), sig(g[1]), tanh(g[2]), sig(g[3]))
                                c[j] = fg * c[j] + ig * gg
                                hNew[j] = og * tanh(c[j])
                            case .gru:
                                let (ar, qr) = pre(j), (az, qz) = pre(H + j), (an, qn) = pre(2 * H + j)
                                let r = sig(ar + qr), z = sig(az + qz)
                                let n = tanh(an + r * qn)
                                hNew[j] = (1 - z) * n + z * h[j]
                            }
                        }
                        h = hNew
                        for j in 0..<H { next[t][b][d * H + j] = h[j] }
                    }
                    for j in 0..<H { hN[s + j] = h[j]; cN[s + j] = c[j] }
                }
            }
            input = next
        }
        var out = [Double](repeating: 0, count: T * B * D * H)
        for t in 0..<T { for b in 0..<B { for k in 0..<D * H {
            out[(batchFirst ? b * T + t : t * B + b) * D * H + k] = input[t][b][k]
        } } }
        return (out, hN, cN)
    }
}

private func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
