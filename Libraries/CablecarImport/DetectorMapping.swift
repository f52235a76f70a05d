import CablecarDomain

/// Which segment and neighborhood each detector reports on, read from the mapping CSV
/// (docs/import.md): `detector_id`, `segment_id`, `neighborhood`, and optionally `lanes`,
/// `free_flow_speed_kmh`, `length_m`, `upstream`, `downstream` (segment ids separated by `;`).
/// Segment attributes come from the first row naming the segment; later rows must agree.
public struct DetectorMapping: Sendable, Equatable {
    public struct SegmentSpec: Sendable, Equatable {
        public var id: String
        public var neighborhood: String
        public var lanes: Int
        public var freeFlowSpeedKmh: Double
        public var lengthMeters: Double
        public var upstream: [String]
        public var downstream: [String]
    }

    /// Detector id → segment id.
    public let segmentOfDetector: [String: String]
    /// Segments in file order.
    public let segments: [SegmentSpec]

    public static let defaultLanes = 1
    public static let defaultFreeFlowSpeedKmh = 50.0
    public static let defaultLengthMeters = 200.0

    public init(csv text: String) throws(ImportError) {
        let table = try CSVTable(text: text)
        func required(_ name: String) throws(ImportError) -> Int {
            guard let index = table.column(name) else { throw ImportError.missingColumn(file: "mapping", column: name) }
            return index
        }
        let detectorColumn = try required("detector_id")
        let segmentColumn = try required("segment_id")
        let neighborhoodColumn = try required("neighborhood")
        let optional = ["lanes", "free_flow_speed_kmh", "length_m", "upstream", "downstream"].map { table.column($0) }
        var segmentOfDetector: [String: String] = [:]
        var segments: [SegmentSpec] = []
        var segmentIndex: [String: Int] = [:]
        for row in table.rows {
            guard row.fields.count == table.header.count else {
                throw .invalidMapping("line \(row.line) has \(row.fields.count) fields, the header \(table.header.count)")
            }
            func value(_ column: Int?) -> String? {
                guard let column else { return nil }
                let text = row.fields[column].trimmingSpaces()
                return text.isEmpty ? nil : text
            }
            guard let detector = value(detectorColumn), let segment = value(segmentColumn), let hood = value(neighborhoodColumn)
            else { throw .invalidMapping("line \(row.line) needs detector_id, segment_id and neighborhood") }
            for (field, text) in [("detector_id", detector), ("segment_id", segment), ("neighborhood", hood)] {
                if let problem = TextBounds.problem(field, text, minLength: 1, maxLength: 100) {
                    throw .invalidMapping("line \(row.line): \(problem)")
                }
            }
            guard segmentOfDetector[detector] == nil else {
                throw .invalidMapping("line \(row.line) maps detector \(detector) a second time")
            }
            segmentOfDetector[detector] = segment
            let spec = try Self.segment(
                id: segment, neighborhood: hood, line: row.line, lanes: value(optional[0]), speed: value(optional[1]),
                length: value(optional[2]), upstream: value(optional[3]), downstream: value(optional[4]))
            if let existing = segmentIndex[segment] {
                guard
                    segments[existing] == spec
                        || (optional[0...4].allSatisfy { value($0) == nil } && segments[existing].neighborhood == hood)
                else { throw .invalidMapping("line \(row.line) describes segment \(segment) differently from an earlier line") }
            } else {
                segmentIndex[segment] = segments.count
                segments.append(spec)
            }
        }
        guard !segments.isEmpty else { throw .invalidMapping("it maps no detector") }
        self.segmentOfDetector = segmentOfDetector
        self.segments = segments
    }

    private static func segment(
        id: String, neighborhood: String, line: Int, lanes: String?, speed: String?, length: String?, upstream: String?,
        downstream: String?
    ) throws(ImportError) -> SegmentSpec {
        func number(_ text: String?, _ field: String, _ fallback: Double, _ range: ClosedRange<Double>) throws(ImportError) -> Double {
            guard let text else { return fallback }
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw .invalidMapping("line \(line): \(field) must be a number in \(range), got \(text)")
            }
            return value
        }
        let laneCount = try number(lanes, "lanes", Double(defaultLanes), 1...20)
        guard laneCount == laneCount.rounded() else { throw .invalidMapping("line \(line): lanes must be a whole number") }
        func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ";").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        }
        return SegmentSpec(
            id: id, neighborhood: neighborhood, lanes: Int(laneCount),
            freeFlowSpeedKmh: try number(speed, "free_flow_speed_kmh", defaultFreeFlowSpeedKmh, 5...200),
            lengthMeters: try number(length, "length_m", defaultLengthMeters, 1...100_000), upstream: list(upstream),
            downstream: list(downstream))
    }
}
