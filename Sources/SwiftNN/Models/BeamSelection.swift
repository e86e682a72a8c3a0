// The k best beam-search candidates out of alive * vocabulary ones, kept in a size-k heap so a
// step needs O(k) memory instead of an array of every (parent, token) pair (4096 x 50k would
// be gigabytes). Order: log-probability descending, then (parent, token) ascending.

/// One way to extend a hypothesis: append `token` to alive row `parent`.
struct BeamCandidate: Equatable {
    var parent: Int
    var token: Int
    var logProb: Double

    /// The beam's total order. Ties go to the smaller (parent, token) so results never
    /// depend on the order candidates are offered in.
    @inline(__always) static func ranksAbove(_ a: BeamCandidate, _ b: BeamCandidate) -> Bool {
        a.logProb != b.logProb ? a.logProb > b.logProb : (a.parent, a.token) < (b.parent, b.token)
    }
}

/// The `k` highest-ranked candidates offered so far. A heap whose root is the lowest-ranked
/// kept candidate: a new one only has to beat the root, which most of a vocabulary does not.
struct BeamSelection {
    let k: Int
    private var heap: [BeamCandidate] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Forgets every candidate, keeping the storage for the next step.
    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    @inline(__always) mutating func offer(parent: Int, token: Int, logProb: Double) {
        let c = BeamCandidate(parent: parent, token: token, logProb: logProb)
        if heap.count < k {
            heap.append(c)
            siftUp(heap.count - 1)
        } else if BeamCandidate.ranksAbove(c, heap[0]) {
            heap[0] = c
            siftDown(0)
        }
    }

    /// The kept candidates, best first: the same list as sorting all of them and taking k.
    func best() -> [BeamCandidate] { heap.sorted(by: BeamCandidate.ranksAbove) }

    // The heap keeps every parent ranked no higher than its children.
    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let p = (i - 1) / 2
            guard BeamCandidate.ranksAbove(heap[p], heap[i]) else { return }
            heap.swapAt(p, i)
            i = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var lowest = i
            if l < heap.count, BeamCandidate.ranksAbove(heap[lowest], heap[l]) { lowest = l }
            if r < heap.count, BeamCandidate.ranksAbove(heap[lowest], heap[r]) { lowest = r }
            if lowest == i { return }
            heap.swapAt(i, lowest)
            i = lowest
        }
    }
}
