import Foundation
import NIOCore

/// The stored form of a feature vector: little-endian float64s, "missing" as one specific NaN.
/// Compact and fast to decode, which is what retrieval at hundreds of thousands of rows per
/// second needs (a float8[] with NULLs costs far more to parse).
enum VectorCodec {
    /// Quiet NaN with payload 0xBAD. Transformations never produce NaN (they return nil).
    static let missing: UInt64 = 0x7FF8_0000_0000_0BAD

    static func encode(_ values: [Double?]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for value in values {
            let bits = value.map { $0.isNaN ? missing : $0.bitPattern } ?? missing
            withUnsafeBytes(of: bits.littleEndian) { bytes += $0 }
        }
        return bytes
    }

    static func base64(_ values: [Double?]) -> String { Data(encode(values)).base64EncodedString() }

    static func decode(_ buffer: ByteBuffer) -> [Double?] {
        var buffer = buffer
        var values: [Double?] = []
        values.reserveCapacity(buffer.readableBytes / 8)
        while let bits = buffer.readInteger(endianness: .little, as: UInt64.self) {
            values.append(bits == missing ? nil : Double(bitPattern: bits))
        }
        return values
    }

    /// Picks `indices` of a decoded vector (a feature subset), without decoding the rest.
    static func decode(_ buffer: ByteBuffer, picking indices: [Int]) -> [Double?] {
        let base = buffer.readerIndex
        return indices.map { index in
            guard let bits = buffer.getInteger(at: base + index * 8, endianness: .little, as: UInt64.self) else { return nil }
            return bits == missing ? nil : Double(bitPattern: bits)
        }
    }
}
