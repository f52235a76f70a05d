import Foundation

/// Runs `body` (async, CPU-heavy: simulating a month, fitting a model) on a thread of its own
/// instead of the shared concurrency pool.
///
/// The pool has one thread per core (two on CI) and serves every test of the process at once.
/// Two heavy tests on it starve all the others for minutes: servers inside tests stop answering
/// and clients time out. On a thread of its own, heavy work shares the cores through the
/// operating system's scheduler and the pool stays free.
public func onItsOwnThread<T: Sendable>(_ name: String = "cablecar-test-work", _ body: () async throws -> T) async throws -> T {
    let executor = DedicatedThreadExecutor(name: name)
    defer { executor.shutdown() }
    return try await withTaskExecutorPreference(executor) { try await body() }
}

/// A task executor with one thread, which runs its jobs in order.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var isShutDown = false

    init(name: String) {
        let thread = Thread { [self] in runJobs() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !isShutDown else {
            condition.unlock()
            // A late job (the task resuming after its preference ended) goes to the pool.
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The thread ends once every job enqueued so far has run; later jobs go to the pool.
    func shutdown() {
        condition.lock()
        isShutDown = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty && !isShutDown { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
