import Foundation
import Synchronization

/// Holds the current `ModelSet`. Readers take the whole snapshot under a short lock (a copy of a
/// few references); writers replace it atomically. Nothing waits on a model load: loads happen
/// before `update` is called.
public final class ModelHolder: Sendable {
    private let models: Mutex<ModelSet>

    public init(_ initial: ModelSet = ModelSet()) { models = Mutex(initial) }

    public var current: ModelSet { models.withLock { $0 } }

    /// Applies `change` to the current set atomically and returns its result.
    @discardableResult
    public func update<Result: Sendable>(_ change: (inout ModelSet) -> Result) -> Result {
        models.withLock { change(&$0) }
    }
}
