// The one thread that talks to MPI. Every collective runs here, so MPI sees a single caller
// (MPI_THREAD_SERIALIZED) and a caller can stop waiting at a deadline: a dead or stuck rank
// then gives the others an error instead of a hang inside MPI.
#if canImport(Glibc)
import Glibc
#endif

/// A submitted job's completion, waited for with a deadline. Records when the job started and
/// finished on the comm thread (Clock seconds), for overlap traces.
final class Ticket: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var done = false
    private(set) var error: Error?
    private(set) var started = 0.0
    private(set) var finished = 0.0
    let label: String

    init(_ label: String) {
        self.label = label
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    fileprivate func markStarted() { pthread_mutex_lock(mutex); started = Clock.now(); pthread_mutex_unlock(mutex) }

    fileprivate func complete(_ e: Error?) {
        pthread_mutex_lock(mutex)
        error = e
        finished = Clock.now()
        done = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    var isDone: Bool { pthread_mutex_lock(mutex); defer { pthread_mutex_unlock(mutex) }; return done }

    /// Waits until the job is done or `seconds` have passed; false on timeout.
    func wait(seconds: Double) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let whole = seconds.rounded(.down)
        var deadline = timespec(tv_sec: now.tv_sec + Int(min(whole, 1e9)), tv_nsec: now.tv_nsec + Int((seconds - whole) * 1e9))
        if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !done {
            if pthread_cond_timedwait(cond, mutex, &deadline) == ETIMEDOUT { return done }
        }
        return true
    }
}

/// A FIFO of jobs run one after another on a dedicated thread.
final class CommThread: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [(Ticket, () throws -> Void)] = []
    private var head = 0

    init() throws {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        let box = Unmanaged.passRetained(self).toOpaque()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { arg in
            guard let arg else { return nil }
            Unmanaged<CommThread>.fromOpaque(arg).takeUnretainedValue().loop()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<CommThread>.fromOpaque(box).release()
            throw SNNError(.internalError, "snn_dist_init: could not start the communication thread (pthread_create returned \(rc))")
        }
        // The thread keeps its reference for the life of the process (the group is global).
    }

    /// Queues `work`; it runs after every job queued before it.
    func submit(_ label: String, _ work: @escaping () throws -> Void) -> Ticket {
        let t = Ticket(label)
        pthread_mutex_lock(mutex)
        jobs.append((t, work))
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
        return t
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while head >= jobs.count { pthread_cond_wait(cond, mutex) }
            let (ticket, work) = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count { jobs.removeFirst(head); head = 0 }
            pthread_mutex_unlock(mutex)
            ticket.markStarted()
            do { try work(); ticket.complete(nil) } catch { ticket.complete(error) }
        }
    }
}
