import CablecarDomain
import CablecarFeatures
import Foundation
import NIOCore

/// Hand-written NDJSON for feature rows: JSONEncoder costs several microseconds a row, which
/// alone would cap retrieval far below its target. Output is plain JSON that `FeatureRow`'s
/// Decodable reads back (same keys).
enum RowJSON {
    static func append(_ row: StoredRowCells, indices: [Int], to buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"segment_id\":")
        appendString(row.segmentID, to: &buffer)
        buffer.writeStaticString(",\"neighborhood\":")
        appendString(row.neighborhood, to: &buffer)
        buffer.writeStaticString(",\"ts\":")
        buffer.writeString(String(row.timestamp))
        buffer.writeStaticString(",\"values\":[")
        for (position, index) in indices.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            appendNumber(PackedValues.value(VectorCodec.bits(row.vals, at: index)), to: &buffer)
        }
        buffer.writeStaticString("],\"actual_speed_kmh\":")
        appendNumber(row.speed, to: &buffer)
        buffer.writeStaticString(",\"actual_flow_veh_h\":")
        appendNumber(row.flow, to: &buffer)
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

    /// Text as a JSON string; bytes that need no escaping (the usual case) are copied as they are.
    static func appendString(_ utf8: ByteBuffer, to buffer: inout ByteBuffer) {
        let plain = utf8.withUnsafeReadableBytes { bytes in bytes.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C } }
        guard plain else {
            appendString(String(buffer: utf8), to: &buffer)
            return
        }
        buffer.writeStaticString("\"")
        buffer.writeImmutableBuffer(utf8)
        buffer.writeStaticString("\"")
    }

    static func appendString(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("\"")
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
