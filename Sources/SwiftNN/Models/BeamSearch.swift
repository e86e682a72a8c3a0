// Beam search over any decoder (seq2seq, captioner): the search keeps the hypotheses, ranks
// their extensions and ends them; the decoder only steps its live rows and reorders its state.

/// One beam search's policy. Seq2seq and the captioner shipped with different selection and
/// ending rules; each keeps its own (so their outputs stay what they were) as a setting here.
struct BeamSearch {
    /// How the next beam is chosen from the live hypotheses' extensions.
    enum Selection {
        /// The `width` best (hypothesis, token) pairs; pairs that end count toward the width.
        case bestPairs
        /// Each hypothesis offers its `width` best tokens; the best of all of them are taken
        /// until `width` are live, ended ones not counting (GNMT's rule).
        case fillLive
    }

    /// An ended (or, with `endAtMaxLength` false, cut-off) hypothesis.
    struct Result {
        var tokens: [Int]      // without the start and end tokens
        var logProb: Double    // summed, the end token's included when it was generated
        var score: Double
    }

    var width: Int
    /// Most steps; each step generates one token per live hypothesis.
    var maxLength: Int
    var startToken: Int
    var endToken: Int
    var vocabulary: Int
    var selection: Selection
    /// true: at `maxLength` each chosen extension ends with its token (seq2seq). false: live
    /// hypotheses at `maxLength` end, without an end token, only if none ended (captioner).
    var endAtMaxLength: Bool
    /// Stop once the best ended score is at least every live log-probability: right only when
    /// the score is the log-probability, which extending can only lower.
    var stopWhenSettled: Bool
    /// An ended hypothesis's rank from (log-probability, length counting the end token).
    var score: (Double, Int) -> Double

    /// Runs the search. `step(tokens)` feeds one token per live row (row i is hypothesis i) and
    /// returns log-probabilities [rows, vocabulary]; `reorder(parents)` makes rows
    /// 0..<parents.count copies of rows `parents` (after the step that chose them);
    /// `emittable[v]` says whether token v may ever be generated. A token of log-probability
    /// -inf never extends a hypothesis. Returns the first ended hypothesis of the highest
    /// score, nil if none ended.
    func run(emittable: [Bool], step: ([Int]) -> UnsafePointer<Float>, reorder: ([Int]) -> Void) -> Result? {
        var alive: [(tokens: [Int], logProb: Double)] = [([], 0)]
        var best: Result? = nil, ended = 0
        func end(_ tokens: [Int], _ logProb: Double, length: Int) {
            let s = score(logProb, length)
            if best == nil || s > best!.score { best = Result(tokens: tokens, logProb: logProb, score: s) }
            ended += 1
        }
        var top = BeamSelection(k: width)
        for t in 0..<maxLength {
            let lp = step(alive.map { $0.tokens.last ?? startToken })
            var next: [(tokens: [Int], logProb: Double)] = [], parents: [Int] = []
            for cand in candidates(lp, alive.map(\.logProb), &top, emittable) {
                if selection == .fillLive && next.count == width { break }
                let tokens = alive[cand.parent].tokens
                if cand.token == endToken {
                    end(tokens, cand.logProb, length: tokens.count + 1)
                } else if endAtMaxLength && t == maxLength - 1 {
                    end(tokens + [cand.token], cand.logProb, length: tokens.count + 1)
                } else {
                    next.append((tokens + [cand.token], cand.logProb))
                    parents.append(cand.parent)
                }
            }
            alive = next
            if next.isEmpty || ended >= width { break }
            if stopWhenSettled, let best, let top = next.map(\.logProb).max(), best.score >= top { break }
            reorder(parents)
        }
        if best == nil && !endAtMaxLength {
            for a in alive { end(a.tokens, a.logProb, length: a.tokens.count) }
        }
        return best
    }

    /// The extensions of the live hypotheses (summed log-probabilities `logProbs`) the
    /// selection may take, best first (BeamCandidate's order).
    private func candidates(_ lp: UnsafePointer<Float>, _ logProbs: [Double], _ top: inout BeamSelection,
                            _ emittable: [Bool]) -> [BeamCandidate] {
        switch selection {
        case .bestPairs:
            top.removeAll()
            for (i, base) in logProbs.enumerated() {
                let row = lp + i * vocabulary
                for v in 0..<vocabulary where emittable[v] && row[v] != -.infinity {
                    top.offer(parent: i, token: v, logProb: base + Double(row[v]))
                }
            }
            return top.best()
        case .fillLive:
            var all: [BeamCandidate] = []
            for (i, base) in logProbs.enumerated() {
                let row = lp + i * vocabulary
                top.removeAll()
                for v in 0..<vocabulary where emittable[v] && row[v] != -.infinity {
                    top.offer(parent: i, token: v, logProb: base + Double(row[v]))
                }
                all += top.best()
            }
            return all.sorted(by: BeamCandidate.ranksAbove)
        }
    }
}
