import CablecarDomain
import Foundation
import NIOCore

/// Hand-written NDJSON for feature rows: JSONEncoder costs several microseconds a row, which
/// alone would cap retrieval far below its target. Output is plain JSON that `FeatureRow`'s
/// Decodable reads back (same keys).
enum RowJSON {
    static func append(
        segmentID: String, neighborhood: String, timestamp: EpochMillis, values: [Double?], speed: Double?, flow: Double?,
        to buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString("{\"segment_id\":")
        appendString(segmentID, to: &buffer)
        buffer.writeStaticString(",\"neighborhood\":")
        appendString(neighborhood, to: &buffer)
        buffer.writeStaticString(",\"ts\":")
        buffer.writeString(String(timestamp))
        buffer.writeStaticString(",\"values\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            appendNumber(value, to: &buffer)
        }
        buffer.writeStaticString("],\"actual_speed_kmh\":")
        appendNumber(speed, to: &buffer)
        buffer.writeStaticString(",\"actual_flow_veh_h\":")
        appendNumber(flow, to: &buffer)
        buffer.writeStaticString("}\n")
    }

    static func appendNumber(_ value: Double?, to buffer: inout ByteBuffer) {
        guard let value, value.isFinite else {
            buffer.writeStaticString("null")
            return
        }
        // Swift's description is the shortest round-tripping form ("12.5", "1e-05"): valid JSON.
        buffer.writeString(value.description)
    }

    static func appendString(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("\"")
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            buffer.writeString(text)
            buffer.writeStaticString("\"")
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": buffer.writeStaticString("\\\"")
            case "\\": buffer.writeStaticString("\\\\")
            case _ where scalar.value < 0x20: buffer.writeString(String(format: "\\u%04x", scalar.value))
            default: buffer.writeString(String(scalar))
            }
        }
        buffer.writeStaticString("\"")
    }
}
