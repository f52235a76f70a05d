import CablecarDomain

/// The revisions of one entity's intervals, densely indexed by interval.
///
/// Most intervals have exactly one revision, so each slot holds its first-arrived revision
/// inline and only corrections go to a side table; lookups on the hot path stay array reads.
struct RevisionSlots<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var revision: Int
        var availableAt: EpochMillis
        var value: Value
    }

    private(set) var origin: EpochMillis
    private var primary: [Entry?]
    /// Slot → every revision (including the primary) once a slot has more than one.
    private var corrections: [Int: [Entry]] = [:]

    init(origin: EpochMillis) {
        self.origin = origin
        self.primary = []
    }

    private func slot(_ intervalStart: EpochMillis) -> Int? {
        let offset = intervalStart - origin
        guard offset >= 0 else { return nil }
        let index = Int(offset / Interval.lengthMillis)
        return index < primary.count ? index : nil
    }

    /// Adds a revision; the same (interval, revision) twice keeps the first (redelivery).
    mutating func insert(intervalStart: EpochMillis, revision: Int, availableAt: EpochMillis, value: Value) {
        if intervalStart < origin {
            let shift = Int((origin - intervalStart) / Interval.lengthMillis)
            primary.insert(contentsOf: [Entry?](repeating: nil, count: shift), at: 0)
            corrections = Dictionary(uniqueKeysWithValues: corrections.map { ($0.key + shift, $0.value) })
            origin = intervalStart
        }
        let index = Int((intervalStart - origin) / Interval.lengthMillis)
        if index >= primary.count {
            primary.append(contentsOf: [Entry?](repeating: nil, count: index - primary.count + 1))
        }
        let entry = Entry(revision: revision, availableAt: availableAt, value: value)
        guard let existing = primary[index] else {
            primary[index] = entry
            return
        }
        var all = corrections[index] ?? [existing]
        guard !all.contains(where: { $0.revision == revision }) else { return }
        all.append(entry)
        corrections[index] = all
    }

    /// The highest revision of the interval whose availability is `<= knownAt`.
    @inline(__always)
    func value(intervalStart: EpochMillis, knownAt: EpochMillis) -> Value? {
        guard let index = slot(intervalStart), let first = primary[index] else { return nil }
        guard let all = corrections[index] else {
            return first.availableAt <= knownAt ? first.value : nil
        }
        var best: Entry?
        for entry in all where entry.availableAt <= knownAt {
            if best == nil || entry.revision > best!.revision { best = entry }
        }
        return best?.value
    }

    /// The highest revision of the interval, whenever it arrived (labels).
    func latest(intervalStart: EpochMillis) -> Value? {
        guard let index = slot(intervalStart), let first = primary[index] else { return nil }
        guard let all = corrections[index] else { return first.value }
        return all.max { $0.revision < $1.revision }?.value
    }

    /// Drops intervals that started before `cutoff` (bounded memory for the streaming path).
    mutating func trim(before cutoff: EpochMillis) {
        guard cutoff > origin else { return }
        let drop = min(primary.count, Int((cutoff - origin) / Interval.lengthMillis))
        guard drop > 0 else { return }
        primary.removeFirst(drop)
        corrections = Dictionary(uniqueKeysWithValues: corrections.compactMap { $0.key >= drop ? ($0.key - drop, $0.value) : nil })
        origin += EpochMillis(drop) * Interval.lengthMillis
    }
}
