/// The layout of a packed outbox row (`ingest_outbox.payload` when `packed_count` is set):
/// per message, a 4-byte big-endian key length, the key's bytes, a 4-byte big-endian
/// payload length and the payload. A message without a key has the length 0xFFFFFFFF and no key
/// bytes. Nothing else: the count is in its own column, and reading checks that the bytes hold
/// exactly that many messages.
///
/// Keys are bytes, not text: a dead letter carries its source message's key as it came, which
/// need not be UTF-8, or may be absent.
enum OutboxPacking {
    typealias Entry = (key: [UInt8]?, payload: [UInt8])

    private static let noKey: UInt32 = 0xFFFF_FFFF

    static func pack(_ messages: [Entry]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(messages.reduce(0) { $0 + 8 + ($1.key?.count ?? 0) + $1.payload.count })
        for (key, payload) in messages {
            if let key {
                append(UInt32(key.count), to: &bytes)
                bytes.append(contentsOf: key)
            } else {
                append(noKey, to: &bytes)
            }
            append(UInt32(payload.count), to: &bytes)
            bytes.append(contentsOf: payload)
        }
        return bytes
    }

    static func unpack(_ bytes: [UInt8], count: Int) throws -> [Entry] {
        var messages: [Entry] = []
        messages.reserveCapacity(count)
        var offset = 0
        func field(absentWhen marker: UInt32? = nil) throws -> ArraySlice<UInt8>? {
            guard bytes.count - offset >= 4 else {
                throw IngestStorageError("packed outbox row ends inside a length at byte \(offset) of \(bytes.count)")
            }
            let raw = bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset += 4
            if let marker, raw == marker { return nil }
            let length = Int(raw)
            guard bytes.count - offset >= length else {
                throw IngestStorageError(
                    "packed outbox row: a field of \(length) bytes at byte \(offset) overruns its \(bytes.count) bytes")
            }
            defer { offset += length }
            return bytes[offset..<(offset + length)]
        }
        while offset < bytes.count {
            let key = try field(absentWhen: noKey).map { Array($0) }
            messages.append((key, Array(try field() ?? [])))
        }
        guard messages.count == count else {
            throw IngestStorageError("packed outbox row holds \(messages.count) messages where its packed_count says \(count)")
        }
        return messages
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }
}
