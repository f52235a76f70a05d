import CablecarDomain
import Foundation

/// The binary form of a historical retrieval (`Accept: application/x-cablecar-rows`), for
/// readers that train on it: the stored float64 bit patterns travel as they are, so neither
/// side formats or parses decimal numbers. Same header, rows (canonical order), trailer and
/// fingerprint as the NDJSON form.
///
/// Layout (integers little-endian):
/// - magic `CCROWS1\n`, then `u32` length and the `SnapshotHeader` as JSON;
/// - per row: `R`, `u16` length and UTF-8 segment id, `u16` length and UTF-8 neighborhood,
///   `i64` timestamp, `u16` value count, the values as `PackedValues` (`u64` each), then the
///   speed and flow labels the same way;
/// - last: `T`, `u32` length and the `SnapshotTrailer` as JSON.
public enum BinaryRows {
    public static let contentType = "application/x-cablecar-rows"
    public static let magic = Array("CCROWS1\n".utf8)
    public static let rowTag = UInt8(ascii: "R")
    public static let trailerTag = UInt8(ascii: "T")
    /// Longest segment id or neighborhood name a row can carry.
    public static let maxTextBytes = Int(UInt16.max)

    public struct Parsed: Sendable {
        public var header: SnapshotHeader
        public var rows: [FeatureRow]
        public var trailer: SnapshotTrailer
        /// The fingerprint of the rows as received, computed while decoding.
        public var computedFingerprint: String
    }

    public enum DecodeError: Error, CustomStringConvertible, Equatable {
        case malformed(String)

        public var description: String {
            switch self {
            case .malformed(let detail): "binary rows: \(detail)"
            }
        }
    }

    /// Decodes a whole stream, hashing the rows as they are read.
    public static func decode(_ data: Data) throws(DecodeError) -> Parsed {
        let result = data.withUnsafeBytes { bytes -> Result<Parsed, DecodeError> in
            var reader = Reader(bytes: bytes)
            do throws(DecodeError) { return .success(try decode(&reader)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func decode(_ reader: inout Reader) throws(DecodeError) -> Parsed {
        guard reader.remaining >= magic.count, magic.elementsEqual(try reader.take(magic.count)) else {
            throw .malformed("the stream does not start with \(String(decoding: magic.dropLast(), as: UTF8.self))")
        }
        let header: SnapshotHeader = try json(try reader.take(Int(try reader.read(UInt32.self))), "header")
        var hasher = SnapshotFingerprint.Hasher(featureNames: header.featureNames, featureVersions: header.featureVersions)
        var rows: [FeatureRow] = []
        rows.reserveCapacity(max(0, min(header.expectedRows, 50_000_000)))
        var names = Interner()
        while true {
            let tag = try reader.read(UInt8.self)
            if tag == trailerTag {
                let trailer: SnapshotTrailer = try json(try reader.take(Int(try reader.read(UInt32.self))), "trailer")
                guard reader.remaining == 0 else { throw .malformed("\(reader.remaining) bytes after the trailer") }
                return Parsed(header: header, rows: rows, trailer: trailer, computedFingerprint: hasher.finalize())
            }
            guard tag == rowTag else { throw .malformed("unknown record tag \(tag) after \(rows.count) rows") }
            let segment = try reader.take(Int(try reader.read(UInt16.self)))
            let neighborhood = try reader.take(Int(try reader.read(UInt16.self)))
            let timestamp = try reader.read(Int64.self)
            let count = Int(try reader.read(UInt16.self))
            let packed = try reader.take(count * 8)
            let speed = PackedValues.value(try reader.read(UInt64.self))
            let flow = PackedValues.value(try reader.read(UInt64.self))
            hasher.add(
                segmentID: segment, neighborhood: neighborhood, timestamp: timestamp, packed: packed, indices: nil, speed: speed, flow: flow
            )
            let values = [Double?](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    let bits = UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                    buffer.initializeElement(at: i, to: PackedValues.value(bits))
                }
                initialized = count
            }
            rows.append(
                FeatureRow(
                    segmentID: names.string(segment), neighborhood: names.string(neighborhood), timestamp: timestamp, values: values,
                    actualSpeedKmh: speed, actualFlowVehiclesPerHour: flow))
        }
    }

    private static func json<T: Decodable>(_ bytes: UnsafeRawBufferPointer, _ what: String) throws(DecodeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .malformed("the \(what) is not valid JSON: \(error)")
        }
    }

    /// Bounds-checked little-endian reads over the received bytes.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var remaining: Int { bytes.count - offset }

        mutating func read<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
            let size = MemoryLayout<T>.size
            guard remaining >= size else { throw .malformed("truncated at byte \(offset)") }
            defer { offset += size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        mutating func take(_ count: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
            guard count >= 0, remaining >= count else { throw .malformed("truncated at byte \(offset)") }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }
    }

    /// Segment ids and neighborhood names repeat on every instant: one String per distinct name,
    /// found again by hashing the received bytes (no allocation on a hit). Bounded: past half
    /// the table's slots, new names are made fresh every time instead of remembered.
    struct Interner {
        private var slots = [(bytes: [UInt8], string: String)?](repeating: nil, count: 4096)
        private var remembered = 0

        mutating func string(_ bytes: UnsafeRawBufferPointer) -> String {
            // Up to 15 UTF-8 bytes a String is stored inline: making one costs less than a lookup.
            if bytes.count <= 15 { return String(decoding: bytes, as: UTF8.self) }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let mask = slots.count - 1
            var index = Int(truncatingIfNeeded: hash) & mask
            while let slot = slots[index] {
                if slot.bytes.count == bytes.count, slot.bytes.withUnsafeBytes({ $0.elementsEqual(bytes) }) { return slot.string }
                index = (index + 1) & mask
            }
            let string = String(decoding: bytes, as: UTF8.self)
            if remembered * 2 < slots.count {
                slots[index] = ([UInt8](bytes), string)
                remembered += 1
            }
            return string
        }
    }
}
