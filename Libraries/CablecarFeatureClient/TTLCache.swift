import CablecarDomain
import Foundation
import Synchronization

/// A small thread-safe cache whose entries expire `ttl` after they were stored (monotonic clock).
public final class TTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: (value: Value, expires: UInt64)]>([:])
    private let ttlNanoseconds: UInt64
    private let capacity: Int

    public init(ttl: Duration, capacity: Int = 100_000) {
        ttlNanoseconds = UInt64(max(0, ttl.inNanoseconds))
        self.capacity = capacity
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    public func value(for key: Key) -> Value? {
        let now = Self.now
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.expires > now else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    public func store(_ value: Value, for key: Key) {
        let expires = Self.now + ttlNanoseconds
        entries.withLock { entries in
            if entries.count >= capacity {
                // Expired entries go first; if all are live, start over rather than grow unbounded.
                let now = Self.now
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = (value, expires)
        }
    }

    public func removeAll() { entries.withLock { $0.removeAll() } }
}
