import CablecarDomain

/// Running data-quality state of one sensor: how many readings, over what span, and whether
/// its values have stopped changing.
///
/// Stuck detection: a sensor that repeats exactly the same values `stuckThreshold` readings in
/// a row is flagged (real loops and cameras never repeat noisy counts, speeds and occupancies
/// exactly). All-zero camera counts are common at night and do not extend a run.
public struct SensorQuality: Sendable, Equatable {
    public static let stuckThreshold = 5

    public var sensorID: String
    public var feed: Feed
    public var segmentID: String
    public var neighborhood: String
    public var intervalSeconds: Int
    public var readings: Int64
    public var firstEventTime: EpochMillis
    public var lastEventTime: EpochMillis
    public var lastValues: String
    public var identicalRun: Int
    public var stuckEpisodes: Int
    public var stuck: Bool

    public init(
        sensorID: String, feed: Feed, segmentID: String, neighborhood: String, intervalSeconds: Int, readings: Int64 = 0,
        firstEventTime: EpochMillis, lastEventTime: EpochMillis, lastValues: String = "", identicalRun: Int = 0,
        stuckEpisodes: Int = 0, stuck: Bool = false
    ) {
        self.sensorID = sensorID
        self.feed = feed
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.intervalSeconds = intervalSeconds
        self.readings = readings
        self.firstEventTime = firstEventTime
        self.lastEventTime = lastEventTime
        self.lastValues = lastValues
        self.identicalRun = identicalRun
        self.stuckEpisodes = stuckEpisodes
        self.stuck = stuck
    }

    /// Records one accepted reading; `values` is the reading's measurements as text.
    public mutating func observe(eventTime: EpochMillis, intervalSeconds: Int, values: String, countsAreZero: Bool) {
        readings += 1
        self.intervalSeconds = intervalSeconds
        firstEventTime = min(firstEventTime, eventTime)
        lastEventTime = max(lastEventTime, eventTime)
        if values == lastValues && !countsAreZero {
            identicalRun += 1
        } else {
            identicalRun = 1
            stuck = false
        }
        lastValues = values
        if identicalRun >= Self.stuckThreshold && !stuck {
            stuck = true
            stuckEpisodes += 1
        }
    }

    /// Readings expected between the first and last event time at the sensor's reporting rate.
    public var expectedReadings: Int64 {
        guard intervalSeconds > 0 else { return readings }
        return (lastEventTime - firstEventTime) / (Int64(intervalSeconds) * 1000) + 1
    }

    /// Share of expected readings that arrived (dropouts lower it), capped at 1.
    public var completeness: Double {
        let expected = expectedReadings
        return expected > 0 ? min(1, Double(readings) / Double(expected)) : 1
    }

    /// Signature of a reading's values for stuck detection: a 64-bit hash of their exact bits,
    /// written in base 36. Formatting the decimals themselves was a visible share of a batch's
    /// time, and a signature of at most 13 characters needs no allocation. Signatures stored by
    /// an older version differ in form, which only restarts a run of identical readings once.
    public static func values(of record: AcceptedRecord) -> (String, Bool)? {
        switch record {
        case .loop(let r, _, _):
            return (signature(UInt64(bitPattern: Int64(r.vehicleCount)), r.occupancy.bitPattern, r.speedKmh.bitPattern, 0), false)
        case .camera(let c, _, _):
            return (
                signature(
                    UInt64(bitPattern: Int64(c.cars)), UInt64(bitPattern: Int64(c.trucks)), UInt64(bitPattern: Int64(c.buses)),
                    UInt64(bitPattern: Int64(c.bicycles))),
                c.cars + c.trucks + c.buses + c.bicycles == 0
            )
        default:
            return nil
        }
    }

    /// FNV-1a over the values' bytes (stable across processes, unlike `Hasher`).
    static func signature(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in [a, b, c, d] {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ (value >> UInt64(shift) & 0xFF)) &* 0x0000_0100_0000_01b3
            }
        }
        return String(hash, radix: 36)
    }
}
