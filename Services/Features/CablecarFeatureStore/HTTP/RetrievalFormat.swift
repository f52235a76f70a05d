import CablecarDomain
import CablecarFeatures
import Foundation
import NIOCore

/// How a historical retrieval is written: NDJSON by default (any HTTP client, one JSON object a
/// line), or `BinaryRows` when the request accepts `application/x-cablecar-rows` (what
/// `FeatureClient` asks for: stored bit patterns are copied, no decimal formatting at all).
enum RetrievalFormat: Sendable, Equatable {
    case ndjson
    case binary

    init(accept: String?) {
        self = (accept ?? "").contains(BinaryRows.contentType) ? .binary : .ndjson
    }

    var contentType: String {
        switch self {
        case .ndjson: "application/x-ndjson"
        case .binary: BinaryRows.contentType
        }
    }

    func header(_ header: SnapshotHeader, to buffer: inout ByteBuffer) throws {
        if self == .binary { buffer.writeBytes(BinaryRows.magic) }
        try frame(header, tag: nil, to: &buffer)
    }

    /// `indices` pick the requested features from the stored vector; `allFeatures` says they
    /// are all of them in stored order (the vector is then copied whole).
    @inline(__always)
    func row(_ row: StoredRowCells, indices: [Int], allFeatures: Bool, to buffer: inout ByteBuffer) throws {
        switch self {
        case .ndjson:
            RowJSON.append(row, indices: indices, to: &buffer)
        case .binary:
            guard row.segmentID.readableBytes <= BinaryRows.maxTextBytes, row.neighborhood.readableBytes <= BinaryRows.maxTextBytes else {
                throw APIError(500, "unencodable_row", "segment id or neighborhood at \(row.timestamp) is longer than \(BinaryRows.maxTextBytes) bytes")
            }
            buffer.writeInteger(BinaryRows.rowTag)
            buffer.writeInteger(UInt16(row.segmentID.readableBytes), endianness: .little)
            buffer.writeImmutableBuffer(row.segmentID)
            buffer.writeInteger(UInt16(row.neighborhood.readableBytes), endianness: .little)
            buffer.writeImmutableBuffer(row.neighborhood)
            buffer.writeInteger(row.timestamp, endianness: .little)
            buffer.writeInteger(UInt16(indices.count), endianness: .little)
            if allFeatures {
                buffer.writeImmutableBuffer(row.vals)
            } else {
                for index in indices { buffer.writeInteger(VectorCodec.bits(row.vals, at: index), endianness: .little) }
            }
            buffer.writeInteger(PackedValues.bits(row.speed), endianness: .little)
            buffer.writeInteger(PackedValues.bits(row.flow), endianness: .little)
        }
    }

    func trailer(_ trailer: SnapshotTrailer, to buffer: inout ByteBuffer) throws {
        try frame(trailer, tag: BinaryRows.trailerTag, to: &buffer)
    }

    /// A JSON record: a line in NDJSON; in binary, the tag (if any), a u32 length and the JSON.
    private func frame(_ value: some Encodable, tag: UInt8?, to buffer: inout ByteBuffer) throws {
        let json = try JSONEncoder().encode(value)
        switch self {
        case .ndjson:
            buffer.writeBytes(json)
            buffer.writeStaticString("\n")
        case .binary:
            if let tag { buffer.writeInteger(tag) }
            buffer.writeInteger(UInt32(json.count), endianness: .little)
            buffer.writeBytes(json)
        }
    }
}
