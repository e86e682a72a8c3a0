// The shape of a module tree: no cycles and at most `Module.maxNesting` modules on any path,
// checked when a container gains a child (so forward, save, free and every other recursive
// walk stay bounded) and when an architecture is loaded.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex that its holder may take again.
final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A container that holds this module, held weakly: a child never keeps its parent alive.
struct WeakModule {
    weak var module: Module?
}

extension Module {
    /// The deepest nesting accepted: modules on the longest path from a root to a leaf.
    /// Every walk over a module tree (forward, parameters, architecture, save, load, free) is
    /// recursive; 1,000 levels need well under 1 MB of stack, and real models nest fewer than 10.
    public static let maxNesting = 1000

    /// Serializes changes to parent links and heights: a module shared by containers that
    /// different threads are building is otherwise written by both. Trees change rarely (at
    /// construction), so one process-wide lock costs nothing that matters.
    /// Recursive: `Sequential.append` checks and registers under it, and registering takes it.
    static let treeLock = RecursiveLock()

    /// Records `parent` and raises the heights above it; called by `registerChild`.
    func adopted(by parent: Module) {
        Module.treeLock.withLock {
            parentLinks.removeAll { $0.module == nil }
            parentLinks.append(WeakModule(module: parent))
            parent.childHeightChanged(height)
        }
    }

    private func childHeightChanged(_ childHeight: Int) {
        guard childHeight + 1 > height else { return }
        height = childHeight + 1
        for p in parentLinks { p.module?.childHeightChanged(height) }
    }

    /// Modules on the longest path from a root down to this one, itself included.
    func depthFromRoot() -> Int {
        var memo: [ObjectIdentifier: Int] = [:]
        func depth(_ m: Module) -> Int {
            if let d = memo[ObjectIdentifier(m)] { return d }
            let d = 1 + (m.parentLinks.compactMap { $0.module }.map(depth).max() ?? 0)
            memo[ObjectIdentifier(m)] = d
            return d
        }
        return depth(self)
    }

    /// Whether `other` is this module or one of the containers above it.
    func isSelfOrAncestor(_ other: Module) -> Bool {
        var seen = Set<ObjectIdentifier>()
        var pending: [Module] = [self]
        while let m = pending.popLast() {
            if m === other { return true }
            guard seen.insert(ObjectIdentifier(m)).inserted else { continue }
            pending.append(contentsOf: m.parentLinks.compactMap { $0.module })
        }
        return false
    }

    /// Throws unless `child` can become a child of this module: it must not be this module or
    /// a container above it (the tree would become a cycle, and every walk would recurse
    /// forever), and the nesting must stay within `maxNesting`. `fn` names the caller.
    func checkCanAdopt(_ child: Module, _ fn: String) throws {
        if isSelfOrAncestor(child) {
            let what = child === self ? "the \(typeName) itself" : "a \(child.typeName) that contains this \(typeName)"
            throw SNNError.invalid("\(fn): cannot add \(what) as its child: the module tree would contain a cycle")
        }
        let nesting = depthFromRoot() + child.height
        guard nesting <= Module.maxNesting else {
            throw SNNError.invalid("\(fn): modules would nest \(nesting) deep, more than the limit of \(Module.maxNesting)")
        }
    }
}
