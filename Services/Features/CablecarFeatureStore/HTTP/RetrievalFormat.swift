import CablecarDomain
import CablecarFeatures
import Foundation
import NIOCore

/// How a historical retrieval is written: NDJSON by default (any HTTP client, one JSON object a
/// line), or `BinaryRows` when the request accepts `application/x-cablecar-rows` (what
/// `FeatureClient` asks for: stored bit patterns are copied, no decimal formatting at all).
package enum RetrievalFormat: Sendable, Equatable {
    case ndjson
    case binary

    init(accept: String?) {
        self = (accept ?? "").contains(BinaryRows.contentType) ? .binary : .ndjson
    }

    package var contentType: String {
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
    package func row(_ row: StoredRowCells, indices: [Int], allFeatures: Bool, to buffer: inout ByteBuffer) throws {
        switch self {
        case .ndjson:
            RowJSON.append(row, indices: indices, to: &buffer)
        case .binary:
            guard row.segmentID.readableBytes <= BinaryRows.maxTextBytes, row.neighborhood.readableBytes <= BinaryRows.maxTextBytes else {
                throw APIError(
                    500, "unencodable_row", "segment id or neighborhood at \(row.timestamp) is longer than \(BinaryRows.maxTextBytes) bytes"
                )
            }
            // One reservation and raw stores per row: a dozen separate ByteBuffer writes, each
            // with its own capacity and exclusivity checks, cost more than the copying itself.
            let segment = row.segmentID.readableBytes
            let neighborhood = row.neighborhood.readableBytes
            let size = 1 + 2 + segment + 2 + neighborhood + 8 + 2 + indices.count * 8 + 16
            row.segmentID.withUnsafeReadableBytes { segmentBytes in
                row.neighborhood.withUnsafeReadableBytes { neighborhoodBytes in
                    row.vals.withUnsafeReadableBytes { packed in
                        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
                            var at = 0
                            func put<T: FixedWidthInteger>(_ value: T) {
                                out.storeBytes(of: value.littleEndian, toByteOffset: at, as: T.self)
                                at += MemoryLayout<T>.size
                            }
                            func put(_ bytes: UnsafeRawBufferPointer) {
                                UnsafeMutableRawBufferPointer(rebasing: out[at..<at + bytes.count]).copyMemory(from: bytes)
                                at += bytes.count
                            }
                            put(BinaryRows.rowTag)
                            put(UInt16(segment))
                            put(segmentBytes)
                            put(UInt16(neighborhood))
                            put(neighborhoodBytes)
                            put(row.timestamp)
                            put(UInt16(indices.count))
                            if allFeatures, packed.count == indices.count * 8 {
                                put(packed)
                            } else {
                                for index in indices {
                                    let offset = index * 8
                                    put(
                                        offset + 8 <= packed.count
                                            ? UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                                            : PackedValues.missingBits)
                                }
                            }
                            put(PackedValues.bits(row.speed))
                            put(PackedValues.bits(row.flow))
                            return at
                        }
                    }
                }
            }
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
