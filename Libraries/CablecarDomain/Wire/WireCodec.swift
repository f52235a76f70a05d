import Foundation

/// The one JSON configuration every producer and consumer uses, so that bytes are stable
/// (sorted keys: the simulator's output must be byte-identical for the same seed).
public enum WireCodec {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .throw
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    public static func encode<Message: Encodable>(_ message: Message) throws -> [UInt8] {
        Array(try encoder().encode(message))
    }

    public static func decode<Message: Decodable>(_ type: Message.Type, from bytes: some Collection<UInt8>) throws -> Message {
        try decoder().decode(type, from: Data(bytes))
    }
}
