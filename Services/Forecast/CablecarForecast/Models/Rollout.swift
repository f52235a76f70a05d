import CablecarService

/// How a candidate (staging) version is served next to production: not at all, as a canary to
/// a sticky share of segments, or as a shadow whose predictions are logged and never returned.
public struct Rollout: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case off, canary, shadow
    }

    /// Buckets a segment id hashes into; a share of 0.1 is buckets 0..<1000.
    public static let buckets: UInt64 = 10_000

    public var mode: Mode
    /// The candidate version; nil when off.
    public var version: Int?
    /// Share of segments the canary answers, 0 to 1 (ignored for shadow and off).
    public var share: Double

    public init(mode: Mode = .off, version: Int? = nil, share: Double = 0) {
        self.mode = mode
        self.version = version
        self.share = share
    }

    public static let off = Rollout()

    /// A stable bucket of a segment id (FNV-1a, 64 bit): the same segment always lands in the same
    /// bucket, in every process and after every restart.
    public static func bucket(of segmentID: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in segmentID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash % buckets
    }

    /// Whether the canary answers `segmentID`.
    public func isCanary(_ segmentID: String) -> Bool {
        guard mode == .canary, share > 0 else { return false }
        let threshold = UInt64((min(1, share) * Double(Self.buckets)).rounded())
        return Self.bucket(of: segmentID) < threshold
    }

    enum CodingKeys: String, CodingKey {
        case mode, version, share
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decode(Mode.self, forKey: .mode)
        // The document allows an explicit null version (no candidate); share must be a number.
        version = try container.decodeIfPresent(Int.self, forKey: .version)
        share = try container.decodeUnlessNull(Double.self, forKey: .share) ?? 0
    }
}
