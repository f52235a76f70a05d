import Synchronization

/// The worker's state behind a lock: the loop, `stop()` and readiness reach it from different tasks.
final class WorkerStatus: Sendable {
    private let state: Mutex<StreamWorkerState>

    init(_ state: StreamWorkerState) { self.state = Mutex(state) }

    var value: StreamWorkerState { state.withLock { $0 } }

    @discardableResult
    func update<T>(_ body: (inout StreamWorkerState) -> T) -> T {
        state.withLock { body(&$0) }
    }
}
