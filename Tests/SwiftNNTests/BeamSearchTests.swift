// BeamSearch over a hand-written decoder (a Markov chain: the next token's log-probabilities
// depend on the last token only), checked against enumerating every sequence and against
// greedy decoding. The seq2seq and captioner tests check the decoders that use it.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// Tokens: 0 pad, 1 start, 2 end, 3 and 4 words. Row = last token; pad and start are never
/// generated (log-probability -inf). No two sequences tie.
private let chain: [[Float]] = {
    let logits: [[Float]] = [[0, 0, 0, 0, 0], [0, 0, -1.3, 0.4, 0.1], [0, 0, 0, 0, 0],
                             [0, 0, 0.2, -0.6, 0.9], [0, 0, -0.2, 1.1, -0.9]]
    return logits.map { row in
        let lse = logf(row[2...].map { expf($0) }.reduce(0, +))
        return row.enumerated().map { $0.offset < 2 ? -.infinity : $0.element - lse }
    }
}()

/// A decoder whose state is the last token of each row.
private final class ChainDecoder {
    var last: [Int] = []
    let out = UnsafeMutablePointer<Float>.allocate(capacity: 64 * 5)  // up to 64 rows
    deinit { out.deallocate() }
    func step(_ tokens: [Int]) -> UnsafePointer<Float> {
        last = tokens
        for (r, t) in tokens.enumerated() { (out + r * 5).update(from: chain[t], count: 5) }
        return UnsafePointer(out)
    }
    func reorder(_ parents: [Int]) { last = parents.map { last[$0] } }
}

private func search(_ width: Int, _ maxLength: Int, _ selection: BeamSearch.Selection, endAtMaxLength: Bool) -> BeamSearch.Result? {
    let s = BeamSearch(width: width, maxLength: maxLength, startToken: 1, endToken: 2, vocabulary: 5, selection: selection,
                       endAtMaxLength: endAtMaxLength, stopWhenSettled: false, score: { lp, _ in lp })
    let d = ChainDecoder()
    return s.run(emittable: [false, false, true, true, true], step: d.step, reorder: d.reorder)
}

/// Every sequence of words 3, 4 that ends with the end token within `maxLength` steps, or
/// reaches `maxLength` words, with its log-probability.
private func allSequences(_ maxLength: Int) -> [(tokens: [Int], logProb: Double)] {
    var out: [(tokens: [Int], logProb: Double)] = []
    func grow(_ tokens: [Int], _ lp: Double) {
        let last = tokens.last ?? 1
        out.append((tokens, lp + Double(chain[last][2])))
        if tokens.count + 1 == maxLength {
            for w in [3, 4] { out.append((tokens + [w], lp + Double(chain[last][w]))) }
        } else {
            for w in [3, 4] { grow(tokens + [w], lp + Double(chain[last][w])) }
        }
    }
    grow([], 0)
    return out
}

@Test(arguments: [1, 2, 3, 5])
func aBeamWiderThanTheSearchSpaceFindsTheBestSequence(maxLength: Int) throws {
    let all = allSequences(maxLength)
    let best = all.max { $0.logProb < $1.logProb }!
    let got = try #require(search(64, maxLength, .bestPairs, endAtMaxLength: true))
    #expect(got.tokens == best.tokens && got.logProb == best.logProb && got.score == best.logProb)
}

@Test(arguments: [1, 2, 4, 7])
func aBeamOfOneIsGreedy(maxLength: Int) throws {
    var tokens: [Int] = [], lp = 0.0, last = 1
    for _ in 0..<maxLength {
        let next = (2..<5).max { chain[last][$0] < chain[last][$1] }!
        lp += Double(chain[last][next])
        if next == 2 { break }
        tokens.append(next)
        last = next
    }
    for selection in [BeamSearch.Selection.bestPairs, .fillLive] {
        let got = try #require(search(1, maxLength, selection, endAtMaxLength: selection == .bestPairs))
        #expect(got.tokens == tokens && got.logProb == lp, "\(selection)")
    }
}

@Test func fillLiveEndsLiveHypothesesWithoutAnEndTokenWhenNoneEnded() throws {
    // Length 1: start -> 3 is likelier than ending; 3 is cut off live, no end token counted.
    let cut = try #require(search(1, 1, .fillLive, endAtMaxLength: false))
    #expect(cut.tokens == [3] && cut.logProb == Double(chain[1][3]))
    // Width 2, length 2: [3, 4] and [4, 3] are the two best extensions, both live; the
    // likelier is the result, scored at length 2.
    let two = try #require(search(2, 2, .fillLive, endAtMaxLength: false))
    #expect(two.tokens == [3, 4] && two.logProb == Double(chain[1][3]) + Double(chain[3][4]))
}
