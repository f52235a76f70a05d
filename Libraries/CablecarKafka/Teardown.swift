import Foundation
import Synchronization

/// Tears a librdkafka client down on a thread of its own, never on the caller's.
///
/// A client's teardown stops its poll thread (up to one poll, 100 ms) and calls
/// `rd_kafka_destroy`, which joins librdkafka's threads: a second or more, longer while a broker
/// does not answer. Run from a `deinit`, it ran on whichever thread dropped the last reference,
/// usually one of the concurrency pool's, which has one thread per core: thread dumps of a CI test
/// run found those threads waiting in `rd_kafka_destroy` in a fifth of the samples, and every
/// other task of the process (HTTP handlers, stream workers, health checks) waited with them.
final class Teardown: Sendable {
    /// How long the teardown took and the thread it ran on, once it is done.
    struct Record: Sendable {
        let duration: Duration
        let thread: UInt
    }

    private let done = Mutex<Record?>(nil)

    /// Nil until the teardown is done.
    var record: Record? { done.withLock { $0 } }

    /// Starts `body` on a new thread and returns at once.
    func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            let started = ContinuousClock.now
            body()
            let record = Record(duration: ContinuousClock.now - started, thread: Teardown.currentThread)
            done.withLock { $0 = record }
        }
        thread.name = name
        thread.start()
    }

    static var currentThread: UInt { UInt(pthread_self()) }
}
