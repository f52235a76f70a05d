extension CityDefinition {
    /// Checks references and physical plausibility, so that a hand-edited city fails at load
    /// time with a precise message instead of producing nonsense traffic later.
    public func validate() throws {
        let neighborhoodIDs = Set(neighborhoods.map(\.id))
        guard neighborhoodIDs.count == neighborhoods.count else {
            throw CityDefinitionError.invalid("duplicate neighborhood ids")
        }
        let segmentIDs = Set(segments.map(\.id))
        guard segmentIDs.count == segments.count else {
            throw CityDefinitionError.invalid("duplicate segment ids")
        }
        for segment in segments {
            guard neighborhoodIDs.contains(segment.neighborhood) else {
                throw CityDefinitionError.invalid("segment \(segment.id) names unknown neighborhood \(segment.neighborhood)")
            }
            guard segment.lanes > 0, segment.lengthMeters > 0, segment.freeFlowSpeedKmh > 0, segment.capacityPerLane > 0 else {
                throw CityDefinitionError.invalid("segment \(segment.id) needs positive lanes, length, free-flow speed and capacity")
            }
            for other in segment.upstream + segment.downstream where !segmentIDs.contains(other) {
                throw CityDefinitionError.invalid("segment \(segment.id) links to unknown segment \(other)")
            }
        }
        let byID = Dictionary(uniqueKeysWithValues: segments.map { ($0.id, $0) })
        for segment in segments {
            for next in segment.downstream where !(byID[next]?.upstream.contains(segment.id) ?? false) {
                throw CityDefinitionError.invalid("segment \(segment.id) lists \(next) downstream, but \(next) does not list it upstream")
            }
        }
        let sensorIDs = Set(sensors.map(\.id))
        guard sensorIDs.count == sensors.count else {
            throw CityDefinitionError.invalid("duplicate sensor ids")
        }
        for sensor in sensors where !segmentIDs.contains(sensor.segment) {
            throw CityDefinitionError.invalid("sensor \(sensor.id) is on unknown segment \(sensor.segment)")
        }
        for route in routes {
            guard !route.segments.isEmpty, route.headwayMinutes > 0 else {
                throw CityDefinitionError.invalid("route \(route.id) needs segments and a positive headway")
            }
            for segment in route.segments + route.stops.map(\.segment) where !segmentIDs.contains(segment) {
                throw CityDefinitionError.invalid("route \(route.id) uses unknown segment \(segment)")
            }
        }
        for venue in venues {
            guard neighborhoodIDs.contains(venue.neighborhood) else {
                throw CityDefinitionError.invalid("venue \(venue.id) names unknown neighborhood \(venue.neighborhood)")
            }
            for segment in venue.segments where !segmentIDs.contains(segment) {
                throw CityDefinitionError.invalid("venue \(venue.id) uses unknown segment \(segment)")
            }
        }
    }
}
