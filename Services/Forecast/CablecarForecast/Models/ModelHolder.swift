import Foundation

/// Holds the current `ModelSet`. Readers take the whole snapshot under a short lock (a copy of a
/// few references); writers replace it atomically. Nothing waits on a model load: loads happen
/// before `update` is called.
public final class ModelHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var set: ModelSet

    public init(_ initial: ModelSet = ModelSet()) { set = initial }

    public var current: ModelSet { lock.withLock { set } }

    /// Applies `change` to the current set atomically and returns its result.
    @discardableResult
    public func update<Result>(_ change: (inout ModelSet) -> Result) -> Result {
        lock.withLock { change(&set) }
    }
}
