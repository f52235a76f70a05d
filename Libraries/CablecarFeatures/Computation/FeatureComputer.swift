import CablecarDomain

// CablecarFeatures public API (stable; the trainer and the feature store build on it)
// ---------------------------------------------------------------------------------
// Definitions:  FeatureDefinition, Transformation, FeatureCatalog.current (row order).
// History:      ObservationHistory(traffic: [AvailableTraffic], context: [AvailableContext])
//               .insert(_:) / .trim(before:); AvailabilityClock assigns availability times
//               (AvailabilityClock.assign(traffic:context:) for in-memory histories).
// Computation:  FeatureComputer(city:definitions:)
//               .row(segment:at:history:) -> FeatureRow?
//               .rows(instants:segments:history:) -> [FeatureRow]   (canonical order)
//               .snapshot(_ request:, history:) throws -> FeatureSnapshot
// Wire:         FeaturesReady (features.ready), OnlineFeatureRequest/Response, SnapshotHeader/Trailer (NDJSON)
//               FeatureComputer.featureSetID identifies the stored vector layout.
// Snapshots:    SnapshotFingerprint.compute(featureNames:featureVersions:rows:) -> hex sha256
//               SnapshotFingerprint.Hasher (incremental, rows in canonical order)
//               InProcessSnapshotSource: FeatureSnapshotSource over a given history.
//
// Point-in-time rule: a revision is used at instant t only if its availableAt <= t; among
// usable revisions of an interval the highest revision wins. A value derived from an interval
// that ended more than the feature's TTL before t is nil. Labels (actual*) are the latest
// revision of the interval starting at t, whenever it arrived. Instants are on the 5-minute grid.

/// Computes feature rows. The only implementation of every `Transformation`; the streaming
/// path and backfill both call it, so online and offline values cannot drift apart.
public struct FeatureComputer: Sendable {
    public let definitions: [FeatureDefinition]
    public var featureNames: [String] { definitions.map(\.name) }
    public var featureVersions: [String: Int] { Dictionary(uniqueKeysWithValues: definitions.map { ($0.name, $0.version) }) }

    let city: CityDefinition
    let calendar: LocalCalendar
    let segments: [String: SegmentInfo]
    /// Segment ids in canonical (lexicographic) order.
    public let segmentIDs: [String]

    struct SegmentInfo: Sendable {
        var neighborhood: String
        var upstream: [String]
        var downstream: [String]
    }

    public init(city: CityDefinition, definitions: [FeatureDefinition] = FeatureCatalog.current) throws {
        var seen = Set<String>()
        for definition in definitions where !seen.insert(definition.name).inserted {
            throw FeatureError.duplicateFeature(definition.name)
        }
        self.city = city
        self.definitions = definitions
        self.calendar = try LocalCalendar(identifier: city.timeZone)
        self.segments = Dictionary(
            uniqueKeysWithValues: city.segments.map {
                ($0.id, SegmentInfo(neighborhood: $0.neighborhood, upstream: $0.upstream, downstream: $0.downstream))
            })
        self.segmentIDs = city.segments.map(\.id).sorted()
    }

    /// The same computer restricted to the named features, in the order given.
    public func selecting(_ names: [String]?) throws -> FeatureComputer {
        guard let names else { return self }
        let unknown = names.filter { name in !definitions.contains { $0.name == name } }
        guard unknown.isEmpty else { throw FeatureError.unknownFeatures(unknown) }
        let chosen = names.compactMap { name in definitions.first { $0.name == name } }
        return try FeatureComputer(city: city, definitions: chosen)
    }

    /// Segment ids (canonical order) of the given neighborhoods (ids or names); nil = whole city.
    public func segmentIDs(inNeighborhoods neighborhoods: [String]?) throws -> [String] {
        guard let neighborhoods else { return segmentIDs }
        var ids = Set<String>()
        var unknown: [String] = []
        for wanted in neighborhoods {
            guard let match = city.neighborhoods.first(where: { $0.id == wanted || $0.name == wanted }) else {
                unknown.append(wanted)
                continue
            }
            ids.insert(match.id)
        }
        guard unknown.isEmpty else { throw FeatureError.unknownNeighborhoods(unknown) }
        return segmentIDs.filter { segments[$0].map { ids.contains($0.neighborhood) } ?? false }
    }

    public func neighborhood(of segment: String) -> String? { segments[segment]?.neighborhood }

    /// One row; nil for a segment the city does not know.
    public func row(segment: String, at instant: EpochMillis, history: ObservationHistory) -> FeatureRow? {
        guard let info = segments[segment] else { return nil }
        return row(segment: segment, info: info, at: instant, calendar: calendar.position(of: instant), history: history)
    }

    /// Rows for every (instant, segment) in canonical order: instants ascending, then segment id.
    /// `segments` nil = the whole city; unknown ids are skipped (validate with `segmentIDs`).
    public func rows(instants: [EpochMillis], segments wanted: [String]? = nil, history: ObservationHistory) -> [FeatureRow] {
        let ids = (wanted ?? segmentIDs).filter { segments[$0] != nil }.sorted()
        var rows: [FeatureRow] = []
        rows.reserveCapacity(ids.count * instants.count)
        for instant in instants.sorted() {
            let position = calendar.position(of: instant)
            for id in ids {
                guard let info = segments[id] else { continue }
                rows.append(row(segment: id, info: info, at: instant, calendar: position, history: history))
            }
        }
        return rows
    }

    /// The instants of a request: every step in `[start, end)`, validated.
    public static func instants(of request: SnapshotRequest) throws -> [EpochMillis] {
        _ = try instantCount(of: request)
        return Array(stride(from: request.start, to: request.end, by: Int(request.stepMillis)))
    }

    /// How many instants `request` covers, computed without allocating them (so a limit is
    /// checked before any allocation). Times must lie within `EpochBounds` and the step be a
    /// positive multiple of five minutes of at most a year; checked before any arithmetic.
    public static func instantCount(of request: SnapshotRequest) throws -> Int {
        guard request.stepMillis > 0, request.stepMillis <= 366 * 86_400_000, request.stepMillis % Interval.lengthMillis == 0 else {
            throw FeatureError.invalidRange("step_ms must be a positive multiple of \(Interval.lengthMillis) of at most 366 days")
        }
        if let problem = EpochBounds.problem("start", request.start) ?? EpochBounds.problem("end", request.end) {
            throw FeatureError.invalidRange(problem)
        }
        guard Interval.start(containing: request.start) == request.start else {
            throw FeatureError.invalidRange("start must lie on the five-minute grid")
        }
        guard request.end > request.start else { throw FeatureError.invalidRange("end must be after start") }
        return Int((request.end - request.start + request.stepMillis - 1) / request.stepMillis)
    }

    /// A fingerprinted training set computed from `history`.
    public func snapshot(_ request: SnapshotRequest, history: ObservationHistory) throws -> FeatureSnapshot {
        let computer = try selecting(request.features)
        let ids = try computer.segmentIDs(inNeighborhoods: request.neighborhoods)
        let rows = computer.rows(instants: try Self.instants(of: request), segments: ids, history: history)
        let fingerprint = SnapshotFingerprint.compute(
            featureNames: computer.featureNames, featureVersions: computer.featureVersions, rows: rows)
        return FeatureSnapshot(
            fingerprint: fingerprint, request: request, featureNames: computer.featureNames,
            featureVersions: computer.featureVersions, rows: rows)
    }

    // MARK: - Transformations

    private func row(
        segment: String, info: SegmentInfo, at t: EpochMillis, calendar position: (minuteOfDay: Int, dayOfWeek: Int),
        history: ObservationHistory
    ) -> FeatureRow {
        let own = history.trafficSlots(segment)
        let context = history.contextSlots(info.neighborhood)
        var values: [Double?] = []
        values.reserveCapacity(definitions.count)
        for definition in definitions {
            values.append(
                value(definition, segment: info, t: t, own: own, context: context, position: position, history: history))
        }
        let label = own?.latest(intervalStart: t)
        return FeatureRow(
            segmentID: segment, neighborhood: info.neighborhood, timestamp: t, values: values,
            actualSpeedKmh: label?.speed, actualFlowVehiclesPerHour: label?.flow)
    }

    private func value(
        _ definition: FeatureDefinition, segment info: SegmentInfo, t: EpochMillis, own: RevisionSlots<TrafficValues>?,
        context: RevisionSlots<ContextValues>?, position: (minuteOfDay: Int, dayOfWeek: Int), history: ObservationHistory
    ) -> Double? {
        let step = Interval.lengthMillis
        let ttl = definition.ttlMillis
        // An interval starting at s is fresh enough at t when t - (s + 5 min) <= TTL.
        func fresh(_ start: EpochMillis) -> Bool { t - (start + step) <= ttl }
        switch definition.transformation {
        case .lag(let field, let k):
            let start = t - EpochMillis(k) * step
            guard fresh(start) else { return nil }
            return own?.value(intervalStart: start, knownAt: t)?.value(field)
        case .rollingMean(let field, let minutes):
            return FeatureMath.mean(window(own, field: field, t: t, minutes: minutes, fresh: fresh))
        case .rollingStd(let field, let minutes):
            return FeatureMath.populationStd(window(own, field: field, t: t, minutes: minutes, fresh: fresh))
        case .sameIntervalDaysAgo(let field, let days):
            let start = t - EpochMillis(days) * 86_400_000
            guard fresh(start) else { return nil }
            return own?.value(intervalStart: start, knownAt: t)?.value(field)
        case .neighborLatest(let field, let direction):
            let neighbors = direction == .upstream ? info.upstream : info.downstream
            var found: [Double] = []
            for neighbor in neighbors {
                guard let slots = history.trafficSlots(neighbor) else { continue }
                var start = t - step
                while fresh(start) {
                    if let v = slots.value(intervalStart: start, knownAt: t)?.value(field) {
                        found.append(v)
                        break
                    }
                    start -= step
                }
            }
            return FeatureMath.mean(found)
        case .timeOfDaySin:
            return FeatureMath.cyclic(Double(position.minuteOfDay), period: 1_440).sin
        case .timeOfDayCos:
            return FeatureMath.cyclic(Double(position.minuteOfDay), period: 1_440).cos
        case .dayOfWeekSin:
            return FeatureMath.cyclic(Double(position.dayOfWeek), period: 7).sin
        case .dayOfWeekCos:
            return FeatureMath.cyclic(Double(position.dayOfWeek), period: 7).cos
        case .contextLatest(let field):
            guard let context else { return nil }
            var start = t - step
            while fresh(start) {
                if let v = context.value(intervalStart: start, knownAt: t)?.value(field) { return v }
                start -= step
            }
            return nil
        }
    }

    /// Values of the intervals that started in `[t - minutes, t)`, as known at `t`.
    private func window(
        _ slots: RevisionSlots<TrafficValues>?, field: TrafficField, t: EpochMillis, minutes: Int,
        fresh: (EpochMillis) -> Bool
    ) -> [Double] {
        guard let slots else { return [] }
        var values: [Double] = []
        var start = t - Interval.lengthMillis
        let first = t - EpochMillis(minutes) * 60_000
        while start >= first {
            if fresh(start), let v = slots.value(intervalStart: start, knownAt: t)?.value(field) { values.append(v) }
            start -= Interval.lengthMillis
        }
        return values
    }
}
