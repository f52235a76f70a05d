/// Comparing secrets (bearer tokens) without leaking, through timing, where they first differ.
public enum ConstantTime {
    /// Equal bytes and equal length; the time taken depends only on the longer length.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
