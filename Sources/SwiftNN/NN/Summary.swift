// A Keras-style table of each layer's output shape and parameter count, found by running the
// model once on zeros (no grad, eval mode, restored afterwards).

extension Module {
    public func summary(inputShape: [Int]) throws -> String {
        let wasTraining = training
        train(false)
        defer { train(wasTraining) }
        var rows: [(String, String, String, Int)] = []
        let x = try Tensor.zeros(inputShape)
        _ = try GradMode.withoutGrad { () -> Tensor in
            if isContainer {
                var y = x
                for (n, m) in children {
                    y = try m.forward(y)
                    rows.append((n, m.typeName, fmt(y.shape), m.parameterCount()))
                }
                return y
            }
            let y = try forward(x)
            rows.append(("", typeName, fmt(y.shape), parameterCount()))
            return y
        }
        let total = parameterCount(), trainable = parameterCount(trainableOnly: true)
        let w0 = max(12, rows.map { $0.0.count + $0.1.count + 3 }.max() ?? 0)
        let w1 = max(16, rows.map { $0.2.count }.max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var out = pad("Layer (type)", w0) + "  " + pad("Output Shape", w1) + "  Param #\n"
        out += String(repeating: "=", count: w0 + w1 + 12) + "\n"
        out += pad("input", w0) + "  " + pad(fmt(inputShape), w1) + "  0\n"
        for (n, t, s, p) in rows {
            out += pad(n.isEmpty ? t : "\(n) (\(t))", w0) + "  " + pad(s, w1) + "  " + grouped(p) + "\n"
        }
        out += String(repeating: "=", count: w0 + w1 + 12) + "\n"
        out += "Total params: \(grouped(total))\nTrainable params: \(grouped(trainable))\nNon-trainable params: \(grouped(total - trainable))\n"
        return out
    }
}

/// 160650 -> "160,650".
func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}
