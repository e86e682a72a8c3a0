// Independent work items handed out at run time: whichever worker is free takes the next one,
// so a worker on a slower or busier core takes fewer instead of holding up the run's end.
import Synchronization

/// Items 0..<count, each claimed by exactly one caller. For loops whose items are independent
/// (a batch's images): results must not depend on which worker ran an item.
public final class WorkQueue: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    public let count: Int

    public init(count: Int) { self.count = max(count, 0) }

    /// The next unclaimed item, or nil when every item has been taken.
    public func claim() -> Int? {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }
}
