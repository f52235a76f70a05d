/// The next element of `stream`, waited for at most `timeout`.
///
/// A test that waits on a signal from a task it started (a worker reaching registration, a
/// connection being held) would otherwise hang the whole run when that task fails or stalls
/// before sending it: the sender should finish the stream when it ends, and this wait fails
/// loudly, naming `what`, when the stream ends or the time runs out without the signal.
public func nextSignal<Element: Sendable>(
    from stream: AsyncStream<Element>, within timeout: Duration = .seconds(600), _ what: @autoclosure () -> String
) async throws -> Element {
    let outcome = try await withThrowingTaskGroup(of: SignalOutcome<Element>.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            guard let element = await iterator.next() else { return .ended }
            return .signalled(element)
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return .timedOut
        }
        defer { group.cancelAll() }
        return try await group.next() ?? .ended
    }
    switch outcome {
    case .signalled(let element): return element
    case .ended: throw TestFailure("\(what()): its sender ended without it")
    case .timedOut: throw TestFailure("\(what()): it did not come within \(timeout)")
    }
}

private enum SignalOutcome<Element: Sendable>: Sendable {
    case signalled(Element)
    case ended
    case timedOut
}
