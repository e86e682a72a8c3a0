// The process group: rank, size and the collectives (allreduce, broadcast, allgather,
// barrier) on Open MPI when the process was started by mpirun, or a one-process group when
// it was not. One group per process (PyTorch's default group), created by `initialize`.
#if canImport(Glibc)
import Glibc
#endif

/// How allreduce combines the ranks' values (torch.distributed.ReduceOp SUM and AVG).
public enum ReduceOp: Int, Sendable {
    case sum = 0
    case mean = 1
}

public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    public let size: Int
    /// "mpi" or "local" (one process, no MPI loaded).
    public let backend: String
    /// Seconds a collective may wait for the other ranks before it fails.
    public let timeout: Double
    let mpi: MPILibrary?
    let comm: CommThread?
    private let lock = Lock()
    /// Set once a collective failed or timed out: MPI's state is then unknown (the comm thread
    /// may still be inside the call), so every later collective fails at once.
    private var brokenReason: String?
    private var finalized = false

    private static let globalLock = Lock()
    nonisolated(unsafe) private static var world: ProcessGroup?
    nonisolated(unsafe) private static var mpiUsed = false

    private init(rank: Int, size: Int, backend: String, timeout: Double, mpi: MPILibrary?, comm: CommThread?) {
        self.rank = rank
        self.size = size
        self.backend = backend
        self.timeout = timeout
        self.mpi = mpi
        self.comm = comm
    }

    /// The initialised group, or nil.
    public static var current: ProcessGroup? { globalLock.withLock { world } }

    /// The initialised group or an error naming `fn` (torch: "Default process group has not
    /// been initialized").
    public static func require(_ fn: String) throws -> ProcessGroup {
        guard let g = current else {
            throw SNNError.invalid("\(fn): the process group is not initialized; call snn_dist_init (init_process_group) first")
        }
        return g
    }

    /// Creates the process's group: Open MPI's COMM_WORLD when launched by mpirun (loading
    /// libmpi.so.40 now), else one process. `timeout` bounds every collective's wait.
    @discardableResult
    public static func initialize(timeout: Double = 300, _ fn: String = "snn_dist_init") throws -> ProcessGroup {
        guard timeout > 0, timeout.isFinite else {
            throw SNNError.invalid("\(fn): timeout_seconds = \(timeout), expected a positive number of seconds")
        }
        return try globalLock.withLock {
            if world != nil { throw SNNError.invalid("\(fn): the process group is already initialized; call snn_dist_finalize first") }
            guard launchedByMPI() else {
                let g = ProcessGroup(rank: 0, size: 1, backend: "local", timeout: timeout, mpi: nil, comm: nil)
                world = g
                return g
            }
            if mpiUsed {
                throw SNNError(.unsupported, "\(fn): MPI was already finalized in this process and cannot be initialized again (MPI allows one MPI_Init per process)")
            }
            let mpi = try MPILibrary(caller: fn)
            let comm = try CommThread()
            var rank: Int32 = 0, size: Int32 = 0
            let t = comm.submit("init") {
                var already: Int32 = 0
                try mpi.check(mpi.initialized(&already), fn, "MPI_Initialized")
                if already == 0 {
                    var provided: Int32 = 0
                    try mpi.check(mpi.initThread(nil, nil, MPILibrary.threadSerialized, &provided), fn, "MPI_Init_thread")
                    guard provided >= MPILibrary.threadSerialized else {
                        throw SNNError(.unsupported, "\(fn): Open MPI gave thread level \(provided), SwiftNN needs MPI_THREAD_SERIALIZED (2)")
                    }
                }
                // errors come back as codes (and then as SwiftNN errors) instead of aborting the job
                try mpi.check(mpi.setErrhandler(mpi.commWorld, mpi.errorsReturn), fn, "MPI_Comm_set_errhandler")
                try mpi.check(mpi.commRank(mpi.commWorld, &rank), fn, "MPI_Comm_rank")
                try mpi.check(mpi.commSize(mpi.commWorld, &size), fn, "MPI_Comm_size")
            }
            guard t.wait(seconds: timeout) else {
                throw SNNError(.io, "\(fn): MPI_Init_thread did not finish within \(timeout) s")
            }
            if let e = t.error { throw e }
            mpiUsed = true
            let g = ProcessGroup(rank: Int(rank), size: Int(size), backend: "mpi", timeout: timeout, mpi: mpi, comm: comm)
            world = g
            registerExitHandler()
            return g
        }
    }

    /// Ends the group: MPI_Finalize (after the other ranks reach it too) on the comm thread.
    /// A later `initialize` gives a one-process group only if MPI was never used.
    public static func finalize(_ fn: String = "snn_dist_finalize") throws {
        let g: ProcessGroup? = globalLock.withLock { let g = world; world = nil; return g }
        guard let g else { return }
        try g.shutdown(fn)
    }

    private func shutdown(_ fn: String) throws {
        guard let mpi, let comm else { return }
        let skip: Bool = lock.withLock { let s = finalized || brokenReason != nil; finalized = true; return s }
        if skip { return }  // a broken group's comm thread may be stuck in MPI: do not queue behind it
        let t = comm.submit("finalize") { try mpi.check(mpi.finalize(), fn, "MPI_Finalize") }
        guard t.wait(seconds: timeout) else { throw SNNError(.io, "\(fn): MPI_Finalize did not finish within \(timeout) s (another rank did not reach it)") }
        if let e = t.error { throw e }
    }

    /// MPI must be finalized before exit or mpirun reports the job as failed; PyTorch's MPI
    /// backend registers the same exit handler. Skipped when the group is broken.
    private static func registerExitHandler() {
        atexit {
            try? ProcessGroup.finalize("atexit")
        }
    }

    // MARK: - running collectives

    /// Why the group cannot be used, if it cannot.
    var broken: String? { lock.withLock { brokenReason } }

    /// Queues `work` on the comm thread (nil for a one-process group: nothing to do).
    func start(_ label: String, _ fn: String, _ work: @escaping (MPILibrary) throws -> Void) throws -> Ticket? {
        guard let mpi, let comm else { return nil }
        try lock.withLock {
            if finalized { throw SNNError.invalid("\(fn): the process group was finalized") }
            if let why = brokenReason { throw SNNError(.io, "\(fn): the process group is unusable since an earlier collective failed (\(why))") }
        }
        return comm.submit(label) { try work(mpi) }
    }

    /// Waits for a started collective; a timeout or an MPI error breaks the group.
    func finish(_ ticket: Ticket?, _ fn: String) throws {
        guard let ticket else { return }
        guard ticket.wait(seconds: timeout) else {
            let why = "\(ticket.label) timed out after \(timeout) s waiting for the other ranks: a rank died, hangs, or did not call the same collective"
            lock.withLock { if brokenReason == nil { brokenReason = why } }
            throw SNNError(.io, "\(fn): rank \(rank) of \(size): \(why)")
        }
        if let e = ticket.error {
            lock.withLock { if brokenReason == nil { brokenReason = "\(ticket.label): \(e)" } }
            throw e
        }
    }

    func run(_ label: String, _ fn: String, _ work: @escaping (MPILibrary) throws -> Void) throws {
        try finish(try start(label, fn, work), fn)
    }

    /// MPI counts are Int32: larger buffers go in chunks of at most 2^30 elements.
    static func chunks(_ count: Int) -> [(start: Int, count: Int)] {
        let step = 1 << 30
        return stride(from: 0, to: count, by: step).map { ($0, min(step, count - $0)) }
    }

    func datatype(_ dtype: DType, _ mpi: MPILibrary) -> MPILibrary.Handle? {
        switch dtype {
        case .float32: return mpi.float32
        case .float64: return mpi.float64
        case .int64: return mpi.int64
        default: return nil
        }
    }
}
