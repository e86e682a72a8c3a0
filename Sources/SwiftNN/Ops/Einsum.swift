// torch.einsum, lowered to engine ops: a label repeated within one operand takes a diagonal (a
// mask and a sum), a label only one operand uses and the output does not is summed out, then
// operands are contracted left to right by batched matmuls over permuted, reshaped views.
// The gradient is therefore that of those ops, and ONNX export writes the lowered graph;
// ONNX Einsum nodes import through this same function.

/// A parsed equation: the labels of each operand and of the output, as codes (the ASCII value
/// of a letter; 256 + i for the i-th of the broadcast dimensions an ellipsis stands for).
struct EinsumEquation {
    let inputs: [[Int]]
    let output: [Int]

    init(_ equation: String, ranks: [Int], _ fn: String) throws {
        let eq = Array(equation.filter { $0 != " " })
        // Split at "->" (no Foundation in the engine: by hand).
        let arrows = eq.indices.filter { $0 + 1 < eq.count && eq[$0] == "-" && eq[$0 + 1] == ">" }
        guard arrows.count <= 1 else { throw SNNError.invalid("\(fn): the equation '\(equation)' has more than one '->'") }
        let sides = arrows.first.map { [String(eq[..<$0]), String(eq[($0 + 2)...])] } ?? [String(eq)]
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard terms.count == ranks.count else {
            throw SNNError.invalid("\(fn): the equation '\(equation)' names \(terms.count) operand(s) but \(ranks.count) were given")
        }
        // Each term's letters, with nil where its ellipsis stands.
        func parse(_ term: String, _ what: String) throws -> [Int?] {
            var out: [Int?] = [], chars = Array(term.utf8), i = 0, sawEllipsis = false
            while i < chars.count {
                let c = chars[i]
                if c == UInt8(ascii: ".") {
                    guard i + 2 < chars.count, chars[i + 1] == c, chars[i + 2] == c, !sawEllipsis else {
                        throw SNNError.invalid("\(fn): \(what) of '\(equation)' has a '.' that is not part of one '...'")
                    }
                    sawEllipsis = true
                    out.append(nil)
                    i += 3
                    continue
                }
                guard (c >= 65 && c <= 90) || (c >= 97 && c <= 122) else {
                    throw SNNError.invalid("\(fn): \(what) of '\(equation)' has '\(Character(UnicodeScalar(c)))'; subscripts are letters [a-zA-Z]")
                }
                out.append(Int(c))
                i += 1
            }
            return out
        }
        let parsed = try terms.enumerated().map { try parse($1, "operand \($0)") }
        var ellipsisDims = 0
        for (k, labels) in parsed.enumerated() {
            let letters = labels.filter { $0 != nil }.count, hasEllipsis = labels.contains { $0 == nil }
            guard hasEllipsis ? ranks[k] >= letters : ranks[k] == letters else {
                throw SNNError.shape("\(fn): operand \(k) has \(ranks[k]) dimensions but the equation gives it \(letters) subscript(s)\(hasEllipsis ? " and an ellipsis" : " and no ellipsis")")
            }
            if hasEllipsis { ellipsisDims = Swift.max(ellipsisDims, ranks[k] - letters) }
        }
        // An ellipsis of n dimensions takes the last n of the broadcast labels (right-aligned).
        inputs = parsed.enumerated().map { k, labels in
            let n = ranks[k] - labels.filter { $0 != nil }.count
            return labels.flatMap { $0.map { [$0] } ?? (0..<n).map { 256 + ellipsisDims - n + $0 } }
        }
        let broadcast = (0..<ellipsisDims).map { 256 + $0 }
        if sides.count == 2 {
            let out = try parse(sides[1], "the output")
            var labels: [Int] = []
            for l in out {
                if let l {
                    guard !labels.contains(l) else { throw SNNError.invalid("\(fn): output subscript \(Character(UnicodeScalar(UInt8(l)))) appears more than once in the output of '\(equation)'") }
                    guard inputs.contains(where: { $0.contains(l) }) else {
                        throw SNNError.invalid("\(fn): output subscript \(Character(UnicodeScalar(UInt8(l)))) does not appear in the equation '\(equation)' for any input operand")
                    }
                    labels.append(l)
                } else {
                    labels += broadcast
                }
            }
            output = labels
        } else {
            // Implicit output: the broadcast dimensions, then the letters used exactly once, sorted.
            var counts: [Int: Int] = [:]
            for labels in inputs { for l in labels where l < 256 { counts[l, default: 0] += 1 } }
            output = broadcast + counts.filter { $0.value == 1 }.keys.sorted()
        }
    }
}

/// torch.einsum(equation, operands): sums products of the operands' elements over the labels
/// the output omits, e.g. "ij,jk->ik" (matmul), "bij,bjk->bik", "ii->i" (diagonal), "i,j->ij",
/// "...ij->...ji". A label's size must agree across operands, or be 1 (broadcast).
public func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor {
    let fn = "einsum"
    guard !operands.isEmpty else { throw SNNError.invalid("\(fn): must provide at least one operand") }
    let eq = try EinsumEquation(equation, ranks: operands.map(\.rank), fn)
    var sizes: [Int: Int] = [:]
    for (k, (t, labels)) in zip(operands, eq.inputs).enumerated() {
        for (d, l) in labels.enumerated() {
            let s = t.shape[d]
            if let known = sizes[l], known != s {
                guard known == 1 || s == 1 else {
                    throw SNNError.shape("\(fn): subscript \(l < 256 ? String(Character(UnicodeScalar(UInt8(l)))) : "...") has size \(s) in operand \(k) (shape \(fmt(t.shape))) but \(known) elsewhere in '\(equation)'")
                }
                sizes[l] = Swift.max(known, s)
            } else {
                sizes[l] = s
            }
        }
    }
    // Every operand reduced to distinct labels, none summed that anything else needs.
    var terms: [(Tensor, [Int])] = []
    for (k, (t, labels)) in zip(operands, eq.inputs).enumerated() {
        var x = t, ls = labels
        while let (p, q) = firstRepeat(ls) {
            x = try takeDiagonal(x, p, q, fn)
            ls.remove(at: q)
        }
        let elsewhere = Set(eq.output + eq.inputs.enumerated().filter { $0.offset != k }.flatMap(\.element))
        let lonely = ls.indices.filter { !elsewhere.contains(ls[$0]) }
        if !lonely.isEmpty {
            x = try sum(x, dims: lonely)
            ls = ls.indices.filter { !lonely.contains($0) }.map { ls[$0] }
        }
        terms.append((x, ls))
    }
    var (cur, curLabels) = terms[0]
    for i in 1..<terms.count {
        let (other, otherLabels) = terms[i]
        let keep = Set(eq.output + terms[(i + 1)...].flatMap(\.1))
        let shared = curLabels.filter { otherLabels.contains($0) }
        let batch = shared.filter { keep.contains($0) }, contracted = shared.filter { !keep.contains($0) }
        let aOnly = curLabels.filter { !otherLabels.contains($0) }, bOnly = otherLabels.filter { !curLabels.contains($0) }
        let size = { (ls: [Int]) in ls.map { sizes[$0] ?? 1 } }
        let a = try arrange(cur, curLabels, batch + aOnly + contracted, size, fn)
        let b = try arrange(other, otherLabels, batch + contracted + bOnly, size, fn)
        let nb = size(batch).reduce(1, *), m = size(aOnly).reduce(1, *)
        let k = size(contracted).reduce(1, *), n = size(bOnly).reduce(1, *)
        let r = try matmul(try reshape(a, [nb, m, k]), try reshape(b, [nb, k, n]))
        cur = try reshape(r, size(batch) + size(aOnly) + size(bOnly))
        curLabels = batch + aOnly + bOnly
    }
    // A broadcast label the surviving operand lacks (size 1 everywhere else) is added as 1.
    for l in eq.output where !curLabels.contains(l) {
        cur = try unsqueeze(cur, dim: cur.rank)
        curLabels.append(l)
    }
    let order = eq.output.map { l in curLabels.firstIndex(of: l) ?? 0 }
    return order == Array(0..<order.count) ? cur : try permute(cur, order)
}

/// The first label that appears twice, as (first position, second position).
private func firstRepeat(_ labels: [Int]) -> (Int, Int)? {
    for q in labels.indices { if let p = labels[..<q].firstIndex(of: labels[q]) { return (p, q) } }
    return nil
}

/// x with dimensions p < q (of equal size) replaced by their diagonal at p: x * eye summed over q.
private func takeDiagonal(_ x: Tensor, _ p: Int, _ q: Int, _ fn: String) throws -> Tensor {
    let n = x.shape[p]
    guard x.shape[q] == n else {
        throw SNNError.shape("\(fn): a subscript repeated in one operand needs equal sizes, got \(n) and \(x.shape[q]) in shape \(fmt(x.shape))")
    }
    var maskShape = [Int](repeating: 1, count: x.rank)
    maskShape[p] = n
    maskShape[q] = n
    let mask = try Tensor(empty: maskShape, dtype: x.dtype, zeroed: true, fn)
    for i in 0..<n {
        let at = i * n + i  // row-major over (p, q); every other dimension has size 1
        if x.dtype == .float64 { mask.doubles[at] = 1 } else if x.dtype == .float32 { mask.floats[at] = 1 } else {
            throw SNNError.dtype("\(fn): operands have dtype \(x.dtype.name), expected float32 or float64")
        }
    }
    return try sum(try mul(x, mask), dims: [q])
}

/// t (labels `have`) permuted into `want` order with size-1 (broadcast) dimensions expanded.
private func arrange(_ t: Tensor, _ have: [Int], _ want: [Int], _ size: ([Int]) -> [Int], _ fn: String) throws -> Tensor {
    let order = want.map { have.firstIndex(of: $0) ?? 0 }
    var x = order == Array(0..<order.count) ? t : try permute(t, order)
    let full = size(want)
    if x.shape != full { x = try expand(x, to: full) }
    return x
}

// MARK: - registry

extension OpDef {
    /// einsum is lowered to other engine ops (each traced), so it has no ONNX lowering of its
    /// own; an ONNX Einsum node imports through it.
    static let einsum = OpDef("einsum", c: "snn_tensor_einsum", python: "einsum",
                              imports: ["Einsum": { n in
                                  let a = try n.attrs(["equation"])
                                  let equation = try a.string("equation", "")
                                  return { xs in [try SwiftNN.einsum(equation, xs.compactMap { $0 })] }
                              }])
}
