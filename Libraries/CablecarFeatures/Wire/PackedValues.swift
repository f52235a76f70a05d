/// The packed form of feature values shared by the offline store, the binary retrieval format
/// and the fingerprint: little-endian float64 bit patterns, "missing" as one specific NaN.
/// Transformations never produce NaN (they return nil), so the payload cannot collide.
public enum PackedValues {
    /// Quiet NaN with payload 0xBAD.
    public static let missingBits: UInt64 = 0x7FF8_0000_0000_0BAD

    @inline(__always)
    public static func bits(_ value: Double?) -> UInt64 {
        guard let value, !value.isNaN else { return missingBits }
        return value.bitPattern
    }

    @inline(__always)
    public static func value(_ bits: UInt64) -> Double? {
        bits == missingBits ? nil : Double(bitPattern: bits)
    }
}
