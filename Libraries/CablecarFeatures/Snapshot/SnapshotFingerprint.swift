import CablecarDomain
import Crypto

/// sha256 over the feature versions and the rows in canonical order (timestamp, then segment
/// id). Doubles are hashed by bit pattern, so "the same" means bit-identical, which is what a
/// reproducible training run needs.
public enum SnapshotFingerprint {
    public static func compute(featureNames: [String], featureVersions: [String: Int], rows: [FeatureRow]) -> String {
        var hasher = Hasher(featureNames: featureNames, featureVersions: featureVersions)
        if isCanonical(rows) {
            for row in rows { hasher.add(row) }
        } else {
            for row in rows.sorted(by: { ($0.timestamp, $0.segmentID) < ($1.timestamp, $1.segmentID) }) { hasher.add(row) }
        }
        return hasher.finalize()
    }

    public static func isCanonical(_ rows: [FeatureRow]) -> Bool {
        for i in rows.indices.dropFirst() where (rows[i - 1].timestamp, rows[i - 1].segmentID) >= (rows[i].timestamp, rows[i].segmentID) {
            return false
        }
        return true
    }

    /// Incremental form for streamed snapshots: feed rows in canonical order.
    ///
    /// Bytes hashed per row: segment id and neighborhood (each as an Int64 length and UTF-8),
    /// timestamp, value count, then every value and the two labels as a 0 byte (missing) or a 1
    /// byte and the little-endian bit pattern. Rows are staged in a scratch buffer with
    /// raw stores: retrieval hashes hundreds of thousands of rows a second, and appending to an
    /// array value by value cost more than the hashing itself.
    public struct Hasher: Sendable {
        private static let scratchSize = 1 << 16
        private var sha = SHA256()
        private var scratch = [UInt8](repeating: 0, count: 1 << 10)
        private var used = 0
        private var count: Int64 = 0

        public init(featureNames: [String], featureVersions: [String: Int]) {
            appendBytes(of: "cablecar.features.snapshot.v1")
            append(Int64(featureNames.count))
            for name in featureNames {
                appendBytes(of: name)
                append(Int64(featureVersions[name] ?? -1))
            }
        }

        public mutating func add(_ row: FeatureRow) {
            appendBytes(of: row.segmentID)
            appendBytes(of: row.neighborhood)
            append(row.timestamp)
            append(Int64(row.values.count))
            reserve(row.values.count * 9 + 18)
            scratch.withUnsafeMutableBytes { out in
                var at = used
                for value in row.values { Self.store(PackedValues.bits(value), into: out, at: &at) }
                Self.store(PackedValues.bits(row.actualSpeedKmh), into: out, at: &at)
                Self.store(PackedValues.bits(row.actualFlowVehiclesPerHour), into: out, at: &at)
                used = at
            }
            count += 1
        }

        /// The same bytes as `add(_:)` for a row still in its stored form: `segmentID` and
        /// `neighborhood` as UTF-8, `packed` as `PackedValues` (8 bytes per feature), of which
        /// `indices` are taken (nil = all, in order). Nothing is decoded or allocated.
        public mutating func add(
            segmentID: UnsafeRawBufferPointer, neighborhood: UnsafeRawBufferPointer, timestamp: Int64,
            packed: UnsafeRawBufferPointer, indices: [Int]?, speed: Double?, flow: Double?
        ) {
            appendBytes(segmentID)
            appendBytes(neighborhood)
            append(timestamp)
            let valueCount = indices?.count ?? packed.count / 8
            append(Int64(valueCount))
            reserve(valueCount * 9 + 18)
            scratch.withUnsafeMutableBytes { out in
                var at = used
                if let indices {
                    for index in indices {
                        let offset = index * 8
                        let bits =
                            offset + 8 <= packed.count
                            ? UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) : PackedValues.missingBits
                        Self.store(bits, into: out, at: &at)
                    }
                } else {
                    for offset in stride(from: 0, to: valueCount * 8, by: 8) {
                        Self.store(UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: offset, as: UInt64.self)), into: out, at: &at)
                    }
                }
                Self.store(PackedValues.bits(speed), into: out, at: &at)
                Self.store(PackedValues.bits(flow), into: out, at: &at)
                used = at
            }
            count += 1
        }

        public func finalize() -> String {
            var copy = self
            copy.append(copy.count)
            copy.flush()
            return copy.sha.finalize().map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }

        @inline(__always)
        private static func store(_ bits: UInt64, into out: UnsafeMutableRawBufferPointer, at offset: inout Int) {
            if bits == PackedValues.missingBits {
                out[offset] = 0
                offset += 1
            } else {
                out[offset] = 1
                out.storeBytes(of: bits.littleEndian, toByteOffset: offset + 1, as: UInt64.self)
                offset += 9
            }
        }

        /// Makes room for `bytes` in the scratch buffer: it starts small (a hasher of a few rows
        /// stays cheap to make) and grows to `scratchSize`, then hashes what it holds when full.
        private mutating func reserve(_ bytes: Int) {
            if used + bytes <= scratch.count { return }
            if scratch.count >= Self.scratchSize { flush() }
            if used + bytes > scratch.count {
                let grown = max(used + bytes, min(Self.scratchSize, scratch.count * 2))
                scratch += repeatElement(0, count: grown - scratch.count)
            }
        }

        private mutating func flush() {
            guard used > 0 else { return }
            scratch.withUnsafeBytes { sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<used])) }
            used = 0
        }

        private mutating func appendBytes(of string: String) {
            var string = string
            string.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
        }

        private mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
            append(Int64(bytes.count))
            reserve(bytes.count)
            scratch.withUnsafeMutableBytes { out in
                if !bytes.isEmpty { UnsafeMutableRawBufferPointer(rebasing: out[used..<used + bytes.count]).copyMemory(from: bytes) }
            }
            used += bytes.count
        }

        private mutating func append(_ value: Int64) {
            reserve(8)
            scratch.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: used, as: Int64.self) }
            used += 8
        }
    }
}
