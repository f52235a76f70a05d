import Crypto
import Foundation

/// Artifacts are JSON with sorted keys (numbers that must be exact are `PackedDoubles`), wrapped
/// in an envelope naming the model kind and format version, so a loader can refuse what it
/// does not understand. Identical models encode to identical bytes.
public enum ArtifactCodec {
    public static let formatVersion = 1

    struct Envelope<Body: Codable>: Codable {
        var format: String
        var version: Int
        var kind: String
        var body: Body
    }

    public static func encode<Body: Codable>(kind: String, body: Body) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return Array(try encoder.encode(Envelope(format: "cablecar-model", version: formatVersion, kind: kind, body: body)))
    }

    public static func decode<Body: Codable>(kind: String, _ bytes: [UInt8], as: Body.Type) throws -> Body {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let envelope: Envelope<Body>
        do {
            envelope = try decoder.decode(Envelope<Body>.self, from: Data(bytes))
        } catch {
            throw ForecastingError.invalidArtifact("not a \(kind) model artifact (\(error))")
        }
        guard envelope.format == "cablecar-model", envelope.kind == kind else {
            throw ForecastingError.invalidArtifact("artifact holds a '\(envelope.kind)' model, expected '\(kind)'")
        }
        guard envelope.version == formatVersion else {
            throw ForecastingError.invalidArtifact(
                "artifact format version \(envelope.version), this build reads \(formatVersion)")
        }
        return envelope.body
    }

    /// The kind named in an artifact's envelope, to pick a loader.
    public static func kind(of bytes: [UInt8]) throws -> String {
        struct Header: Codable { var kind: String }
        do {
            return try JSONDecoder().decode(Header.self, from: Data(bytes)).kind
        } catch {
            throw ForecastingError.invalidArtifact("no model kind in artifact (\(error))")
        }
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
