import CablecarDomain

/// Turns the readings CSV (docs/import.md) into loop detector readings, rejecting with line
/// and reason every row that cannot become one. Required columns: `detector_id`,
/// `interval_start` (ISO 8601 with `Z` or an offset), `count`, and `interval_s` unless a fixed
/// interval is given; optional `speed_kmh` and `occupancy` (0–1). Other columns are ignored.
public struct ReadingsImport: Sendable {
    /// One accepted row: a reading of `intervalSeconds` starting at `intervalStart`.
    public struct Row: Sendable, Hashable {
        public var line: Int
        public var detectorID: String
        public var segmentID: String
        public var intervalStart: EpochMillis
        public var intervalSeconds: Int
        public var count: Int
        public var speedKmh: Double?
        public var occupancy: Double?
    }

    public let rows: [Row]
    public let rejections: [RowRejection]
    public let rowsRead: Int

    /// Largest count a reading may carry per second of its interval (10 vehicles a second is
    /// beyond any road's lanes).
    public static let maxVehiclesPerSecond = 10
    public static let speedRange = 0.0...200.0

    public init(csv text: String, mapping: DetectorMapping, fixedIntervalSeconds: Int? = nil) throws(ImportError) {
        let table = try CSVTable(text: text)
        func required(_ name: String) throws(ImportError) -> Int {
            guard let index = table.column(name) else { throw ImportError.missingColumn(file: "readings", column: name) }
            return index
        }
        let columns = Columns(
            detector: try required("detector_id"), start: try required("interval_start"), count: try required("count"),
            interval: fixedIntervalSeconds == nil ? try required("interval_s") : nil, speed: table.column("speed_kmh"),
            occupancy: table.column("occupancy"))
        var rows: [Row] = []
        var rejections: [RowRejection] = []
        var seen: [String: [EpochMillis: Int]] = [:]
        for raw in table.rows {
            switch Self.row(raw, columns: columns, width: table.header.count, mapping: mapping, fixedInterval: fixedIntervalSeconds) {
            case .failure(let rejection): rejections.append(rejection)
            case .success(let row):
                if let first = seen[row.detectorID]?[row.intervalStart] {
                    rejections.append(
                        RowRejection(
                            line: row.line, reason: .duplicate,
                            detail: "detector \(row.detectorID) at \(raw.fields[columns.start]) was already read on line \(first)"))
                } else {
                    seen[row.detectorID, default: [:]][row.intervalStart] = row.line
                    rows.append(row)
                }
            }
        }
        self.rows = rows
        self.rejections = rejections
        rowsRead = table.rows.count
    }

    struct Columns {
        var detector: Int
        var start: Int
        var count: Int
        var interval: Int?
        var speed: Int?
        var occupancy: Int?
    }

    static func row(
        _ raw: CSVTable.Row, columns: Columns, width: Int, mapping: DetectorMapping, fixedInterval: Int?
    ) -> Result<Row, RowRejection> {
        func reject(_ reason: RowRejection.Reason, _ detail: String) -> Result<Row, RowRejection> {
            .failure(RowRejection(line: raw.line, reason: reason, detail: detail))
        }
        guard raw.fields.count == width else {
            return reject(.wrongFieldCount, "\(raw.fields.count) fields where the header has \(width)")
        }
        func text(_ column: Int) -> String { raw.fields[column].trimmingSpaces() }
        for (name, column) in [("detector_id", columns.detector), ("interval_start", columns.start), ("count", columns.count)]
        where text(column).isEmpty {
            return reject(.missingValue, "\(name) is empty")
        }
        let detector = text(columns.detector)
        guard let segment = mapping.segmentOfDetector[detector] else {
            return reject(.unknownDetector, "detector \(detector.prefix(100)) is not in the mapping file")
        }
        guard let start = ISO8601Instant.parse(text(columns.start)) else {
            return reject(.unparseable, "interval_start \(text(columns.start).prefix(60)) is not ISO 8601 with Z or an offset")
        }
        guard EpochBounds.contains(start) else { return reject(.outOfRange, "interval_start must lie in 2000–2100") }
        let interval: Int
        if let fixedInterval {
            interval = fixedInterval
        } else if let column = columns.interval {
            guard let value = Int(text(column)) else {
                return reject(
                    text(column).isEmpty ? .missingValue : .unparseable, "interval_s \(text(column).prefix(30)) is not a whole number")
            }
            interval = value
        } else {
            return reject(.missingValue, "no interval_s")
        }
        guard IntervalPlan.accepts(interval) else {
            return reject(.outOfRange, "interval_s \(interval) must be \(IntervalPlan.expectation)")
        }
        guard start % (EpochMillis(min(interval, 300)) * 1_000) == 0 else {
            return reject(.outOfRange, "interval_start must fall on a multiple of min(interval_s, 300) seconds")
        }
        guard let count = Int(text(columns.count)) else {
            return reject(.unparseable, "count \(text(columns.count).prefix(30)) is not a whole number")
        }
        guard count >= 0, count <= interval * maxVehiclesPerSecond else {
            return reject(.outOfRange, "count \(count) must be 0 to \(interval * maxVehiclesPerSecond) for \(interval) s")
        }
        var speed: Double?
        if let column = columns.speed, !text(column).isEmpty {
            guard let value = Double(text(column)), value.isFinite else {
                return reject(.unparseable, "speed_kmh \(text(column).prefix(30)) is not a number")
            }
            guard speedRange.contains(value) else { return reject(.outOfRange, "speed_kmh \(value) must be 0 to 200") }
            speed = value
        }
        var occupancy: Double?
        if let column = columns.occupancy, !text(column).isEmpty {
            guard let value = Double(text(column)), value.isFinite else {
                return reject(.unparseable, "occupancy \(text(column).prefix(30)) is not a number")
            }
            guard (0...1).contains(value) else { return reject(.outOfRange, "occupancy \(value) must be a fraction, 0 to 1") }
            occupancy = value
        }
        return .success(
            Row(
                line: raw.line, detectorID: detector, segmentID: segment, intervalStart: start, intervalSeconds: interval,
                count: count, speedKmh: speed, occupancy: occupancy))
    }
}
