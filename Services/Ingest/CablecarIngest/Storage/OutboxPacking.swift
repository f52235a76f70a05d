/// The layout of a packed outbox row (`ingest_outbox.payload` when `packed_count` is set):
/// per message, a 4-byte big-endian key length, the key's UTF-8 bytes, a 4-byte big-endian
/// payload length and the payload. Nothing else: the count is in its own column, and reading
/// checks that the bytes hold exactly that many messages.
enum OutboxPacking {
    static func pack(_ messages: [(key: String, payload: [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(messages.reduce(0) { $0 + 8 + $1.key.utf8.count + $1.payload.count })
        for (key, payload) in messages {
            append(length: key.utf8.count, to: &bytes)
            bytes.append(contentsOf: key.utf8)
            append(length: payload.count, to: &bytes)
            bytes.append(contentsOf: payload)
        }
        return bytes
    }

    static func unpack(_ bytes: [UInt8], count: Int) throws -> [(key: String, payload: [UInt8])] {
        var messages: [(key: String, payload: [UInt8])] = []
        messages.reserveCapacity(count)
        var offset = 0
        func field() throws -> ArraySlice<UInt8> {
            guard bytes.count - offset >= 4 else {
                throw IngestStorageError("packed outbox row ends inside a length at byte \(offset) of \(bytes.count)")
            }
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard bytes.count - offset >= length else {
                throw IngestStorageError(
                    "packed outbox row: a field of \(length) bytes at byte \(offset) overruns its \(bytes.count) bytes")
            }
            defer { offset += length }
            return bytes[offset..<(offset + length)]
        }
        while offset < bytes.count {
            let key = String(decoding: try field(), as: UTF8.self)
            messages.append((key, Array(try field())))
        }
        guard messages.count == count else {
            throw IngestStorageError("packed outbox row holds \(messages.count) messages where its packed_count says \(count)")
        }
        return messages
    }

    private static func append(length: Int, to bytes: inout [UInt8]) {
        let value = UInt32(length)
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }
}
