import CablecarFeatures
import Foundation
import NIOCore

/// The stored form of a feature vector (`PackedValues`): compact and fast to decode, which is
/// what retrieval at hundreds of thousands of rows per second needs (a float8[] with NULLs
/// costs far more to parse).
enum VectorCodec {
    static func encode(_ values: [Double?]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for value in values {
            withUnsafeBytes(of: PackedValues.bits(value).littleEndian) { bytes += $0 }
        }
        return bytes
    }

    static func base64(_ values: [Double?]) -> String { Data(encode(values)).base64EncodedString() }

    static func decode(_ buffer: ByteBuffer) -> [Double?] {
        var buffer = buffer
        var values: [Double?] = []
        values.reserveCapacity(buffer.readableBytes / 8)
        while let bits = buffer.readInteger(endianness: .little, as: UInt64.self) {
            values.append(PackedValues.value(bits))
        }
        return values
    }

    /// Picks `indices` of a decoded vector (a feature subset), without decoding the rest.
    static func decode(_ buffer: ByteBuffer, picking indices: [Int]) -> [Double?] {
        indices.map { bits(buffer, at: $0) }.map(PackedValues.value)
    }

    /// The packed bits of feature `index` (missing when the vector is shorter).
    @inline(__always)
    static func bits(_ buffer: ByteBuffer, at index: Int) -> UInt64 {
        buffer.getInteger(at: buffer.readerIndex + index * 8, endianness: .little, as: UInt64.self) ?? PackedValues.missingBits
    }
}
