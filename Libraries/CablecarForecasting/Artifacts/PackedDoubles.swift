import Foundation

/// An array of doubles stored in an artifact as base64 of their little-endian IEEE-754 bits:
/// exact (NaN and every last bit survive), compact, and byte-for-byte deterministic.
public struct PackedDoubles: Codable, Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let data = Data(base64Encoded: text), data.count % 8 == 0 else {
            throw ForecastingError.invalidArtifact("a packed number array is not base64 of 8-byte values")
        }
        var values = [Double](repeating: 0, count: data.count / 8)
        data.withUnsafeBytes { raw in
            for i in values.indices {
                values[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
            }
        }
        self.values = values
    }

    public func encode(to encoder: Encoder) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for value in values {
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
        }
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}
