// Open MPI loaded at run time (MLX's approach): dlopen of libmpi.so.40 and dlsym of the few
// functions and handles the engine uses, so libswiftnn.so keeps no link-time MPI dependency.
// Open MPI's MPI_Comm, MPI_Datatype, MPI_Op and MPI_Errhandler are addresses of global
// objects (ompi_mpi_comm_world, ompi_mpi_float, ...): dlsym gives those addresses directly.
#if canImport(Glibc)
import Glibc
#endif

/// The loaded library: function pointers and handles. Only the communication thread
/// (ProcessGroup) calls into it.
final class MPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThreadFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
    typealias FlagFn = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
    typealias CommIntFn = @convention(c) (Handle, UnsafeMutablePointer<Int32>?) -> Int32
    typealias AllreduceFn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias IallreduceFn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle,
                                             UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    typealias TestFn = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int32>?,
                                       UnsafeMutableRawPointer?) -> Int32
    typealias BcastFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias AllgatherFn = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias CommFn = @convention(c) (Handle) -> Int32
    typealias VoidFn = @convention(c) () -> Int32
    typealias ErrorStringFn = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias SetErrhandlerFn = @convention(c) (Handle, Handle) -> Int32

    /// The soname Debian's libopenmpi3 ships (Open MPI 4.x); SWIFTNN_MPI_LIBRARY overrides it.
    static let defaultPath = "libmpi.so.40"
    /// MPI_THREAD_SERIALIZED in Open MPI's mpi.h: one thread at a time (ours: the comm thread).
    static let threadSerialized: Int32 = 2
    /// MPI_IN_PLACE in Open MPI's mpi.h is `(void *) 1`.
    static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }

    let path: String
    let initThread: InitThreadFn
    let initialized: FlagFn
    let finalized: FlagFn
    let commRank: CommIntFn
    let commSize: CommIntFn
    let allreduce: AllreduceFn
    let iallreduce: IallreduceFn
    let test: TestFn
    let bcast: BcastFn
    let allgather: AllgatherFn
    let barrier: CommFn
    let finalize: VoidFn
    let errorString: ErrorStringFn
    let setErrhandler: SetErrhandlerFn
    let commWorld: Handle
    let float32: Handle
    let float64: Handle
    let int64: Handle
    let byte: Handle
    let opSum: Handle
    let opMax: Handle
    let errorsReturn: Handle

    /// Loads the library or throws a message naming the file and what is missing.
    init(caller fn: String) throws {
        let override = getenv("SWIFTNN_MPI_LIBRARY").map { String(cString: $0) } ?? ""
        let path = override.isEmpty ? MPILibrary.defaultPath : override
        self.path = path
        // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) resolve libmpi's symbols at their dlopen.
        guard let lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw SNNError(.unsupported, "\(fn): this process was started by mpirun but Open MPI's library \(path) could not be loaded (\(why)); install it with `apt-get install openmpi-bin libopenmpi-dev` (tools/setup.sh does) or point SWIFTNN_MPI_LIBRARY at libmpi.so")
        }
        func sym<T>(_ name: String, _: T.Type) throws -> T {
            guard let p = dlsym(lib, name) else {
                throw SNNError(.unsupported, "\(fn): \(path) has no symbol \(name); SwiftNN needs Open MPI 4.x (libmpi.so.40)")
            }
            return unsafeBitCast(p, to: T.self)
        }
        func object(_ name: String) throws -> Handle {
            guard let p = dlsym(lib, name) else {
                throw SNNError(.unsupported, "\(fn): \(path) has no symbol \(name); SwiftNN needs Open MPI (its handles are global objects such as ompi_mpi_comm_world), not MPICH")
            }
            return p
        }
        initThread = try sym("MPI_Init_thread", InitThreadFn.self)
        initialized = try sym("MPI_Initialized", FlagFn.self)
        finalized = try sym("MPI_Finalized", FlagFn.self)
        commRank = try sym("MPI_Comm_rank", CommIntFn.self)
        commSize = try sym("MPI_Comm_size", CommIntFn.self)
        allreduce = try sym("MPI_Allreduce", AllreduceFn.self)
        iallreduce = try sym("MPI_Iallreduce", IallreduceFn.self)
        test = try sym("MPI_Test", TestFn.self)
        bcast = try sym("MPI_Bcast", BcastFn.self)
        allgather = try sym("MPI_Allgather", AllgatherFn.self)
        barrier = try sym("MPI_Barrier", CommFn.self)
        finalize = try sym("MPI_Finalize", VoidFn.self)
        errorString = try sym("MPI_Error_string", ErrorStringFn.self)
        setErrhandler = try sym("MPI_Comm_set_errhandler", SetErrhandlerFn.self)
        commWorld = try object("ompi_mpi_comm_world")
        float32 = try object("ompi_mpi_float")
        float64 = try object("ompi_mpi_double")
        int64 = try object("ompi_mpi_int64_t")
        byte = try object("ompi_mpi_byte")
        opSum = try object("ompi_mpi_op_sum")
        opMax = try object("ompi_mpi_op_max")
        errorsReturn = try object("ompi_mpi_errors_return")
    }

    /// In-place allreduce of `count` elements at `buf`, as MPI_Iallreduce polled with MPI_Test
    /// and short sleeps. A blocking MPI_Allreduce spins its thread for the whole call, waiting
    /// for the slowest rank included; with as many ranks as cores that spinning comm thread
    /// takes the core backward needs. Polling every 50 us gives the core back.
    func allreducePolling(_ buf: UnsafeMutableRawPointer, _ count: Int32, _ type: Handle, _ op: Handle, _ fn: String) throws {
        var request: UnsafeMutableRawPointer? = nil
        try check(iallreduce(MPILibrary.inPlace, buf, count, type, op, commWorld, &request), fn, "MPI_Iallreduce")
        var done: Int32 = 0
        var polls = 0
        var pause = timespec(tv_sec: 0, tv_nsec: 50_000)
        while true {
            try check(test(&request, &done, nil), fn, "MPI_Test")  // nil: MPI_STATUS_IGNORE
            if done != 0 { return }
            polls += 1
            if polls > 20 { nanosleep(&pause, nil) }  // a few quick polls first: small messages end fast
        }
    }

    /// MPI's text for an error code.
    func message(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        var len: Int32 = 0
        _ = errorString(code, &buf, &len)
        return String(decoding: buf.prefix(Int(max(0, min(len, 511)))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Throws "<fn>: MPI_X failed: <MPI's message>" for a non-zero return code.
    func check(_ code: Int32, _ fn: String, _ what: String) throws {
        guard code != 0 else { return }
        throw SNNError(.io, "\(fn): \(what) failed with MPI error \(code): \(message(code))")
    }
}

/// Whether this process was launched by mpirun/mpiexec (Open MPI or a PMIx launcher), as MLX
/// and PyTorch's env:// decide between a real and a one-process group.
func launchedByMPI() -> Bool {
    for name in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"] where getenv(name) != nil { return true }
    return false
}
