import CablecarDomain
import Logging
import PostgresNIO

/// Per-sensor quality rows: loaded once at start (a few hundred sensors), written per batch in
/// the state transaction so they never count a redelivered reading twice.
enum QualityStore {
    static func load(on client: PostgresClient, logger: Logger) async throws -> [String: SensorQuality] {
        var result: [String: SensorQuality] = [:]
        let rows = try await client.query(
            """
            SELECT sensor_id, feed, segment_id, neighborhood, interval_seconds, readings, first_event_time, last_event_time,
                   last_values, identical_run, stuck_episodes, stuck
            FROM ingest_sensor_quality
            """, logger: logger)
        for try await (id, feed, segment, neighborhood, interval, readings, first, last, values, run, episodes, stuck) in rows.decode(
            (String, String, String, String, Int32, Int64, Int64, Int64, String, Int32, Int32, Bool).self)
        {
            result[id] = SensorQuality(
                sensorID: id, feed: Feed(rawValue: feed) ?? .loop, segmentID: segment, neighborhood: neighborhood,
                intervalSeconds: Int(interval), readings: readings, firstEventTime: first, lastEventTime: last, lastValues: values,
                identicalRun: Int(run), stuckEpisodes: Int(episodes), stuck: stuck)
        }
        return result
    }

    static func save(_ sensors: [SensorQuality], on connection: PostgresConnection, logger: Logger) async throws {
        guard !sensors.isEmpty else { return }
        let ids = sensors.map(\.sensorID)
        let feeds = sensors.map(\.feed.rawValue)
        let segments = sensors.map(\.segmentID)
        let neighborhoods = sensors.map(\.neighborhood)
        let intervals = sensors.map { Int32($0.intervalSeconds) }
        let readings = sensors.map(\.readings)
        let firsts = sensors.map(\.firstEventTime)
        let lasts = sensors.map(\.lastEventTime)
        let values = sensors.map(\.lastValues)
        let runs = sensors.map { Int32($0.identicalRun) }
        let episodes = sensors.map { Int32($0.stuckEpisodes) }
        let stuck = sensors.map(\.stuck)
        try await connection.query(
            """
            INSERT INTO ingest_sensor_quality (sensor_id, feed, segment_id, neighborhood, interval_seconds, readings, first_event_time,
                last_event_time, last_values, identical_run, stuck_episodes, stuck)
            SELECT * FROM UNNEST(\(ids)::text[], \(feeds)::text[], \(segments)::text[], \(neighborhoods)::text[], \(intervals)::int4[],
                \(readings)::int8[], \(firsts)::int8[], \(lasts)::int8[], \(values)::text[], \(runs)::int4[], \(episodes)::int4[],
                \(stuck)::bool[])
            ON CONFLICT (sensor_id) DO UPDATE SET interval_seconds = excluded.interval_seconds, readings = excluded.readings,
                first_event_time = excluded.first_event_time, last_event_time = excluded.last_event_time,
                last_values = excluded.last_values, identical_run = excluded.identical_run,
                stuck_episodes = excluded.stuck_episodes, stuck = excluded.stuck
            """, logger: logger)
    }
}
