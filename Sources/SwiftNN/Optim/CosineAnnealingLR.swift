// CosineAnnealingLR (torch.optim.lr_scheduler): cosine from the base lr down to eta_min over
// T_max epochs and back up (period 2 T_max), with PyTorch's recursive form and its restart
// branch, so values match PyTorch's step() even if the lr was changed in between.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class CosineAnnealingLR: LRScheduler, @unchecked Sendable {
    public let tMax: Int
    public let etaMin: Double

    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0) throws {
        guard tMax >= 1, tMax <= 1 << 40 else { throw SNNError.invalid("CosineAnnealingLR: T_max \(tMax) must be >= 1") }
        try checkHyper(etaMin, "eta_min", min: 0, "CosineAnnealingLR")
        self.tMax = tMax
        self.etaMin = etaMin
        try super.init(optimizer: optimizer, name: "CosineAnnealingLR")
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) -> [Double] {
        if isInitial { return current }
        let t = Double(tMax)
        if floorMod(epoch - 1 - tMax, 2 * tMax) == 0 {
            // lr + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2
            return zip(current, bases).map { lr, base in lr + (base - etaMin) * (1 - cos(Double.pi / t)) / 2 }
        }
        // (1 + cos(pi e / T)) / (1 + cos(pi (e - 1) / T)) * (lr - eta_min) + eta_min
        let ratio = (1 + cos(Double.pi * Double(epoch) / t)) / (1 + cos(Double.pi * Double(epoch - 1) / t))
        return current.map { lr in ratio * (lr - etaMin) + etaMin }
    }
}

/// Python's `a % m` for m > 0 (the result has the sign of m).
private func floorMod(_ a: Int, _ m: Int) -> Int {
    let r = a % m
    return r < 0 ? r + m : r
}
