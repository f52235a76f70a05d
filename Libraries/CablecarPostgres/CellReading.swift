import NIOCore
import PostgresNIO

/// Reads cells straight from their binary form, for hot loops over many rows: PostgresNIO's
/// generic tuple decode looks up type metadata for every row, which showed as a large share of
/// a profile where rows are read by the hundred thousand. Each reader falls back to the
/// generic decode for any cell it does not expect (text format, another type), so it is never
/// wrong, only sometimes not faster.
public struct CellReader {
    private var cells: PostgresRow.Iterator
    private let what: String

    /// `what` names the query in errors ("due traffic intervals").
    public init(_ row: PostgresRow, reading what: String) {
        cells = row.makeIterator()
        self.what = what
    }

    private mutating func next() throws -> PostgresCell {
        guard let cell = cells.next() else { throw CellReadError(detail: "\(what): the row has fewer columns than the select list") }
        return cell
    }

    /// The bytes of a non-null text or bytea cell (UTF-8 for text in either format).
    public mutating func bytes() throws -> ByteBuffer {
        let cell = try next()
        guard let bytes = cell.bytes else { return try cell.decode(ByteBuffer.self) }
        return bytes
    }

    public mutating func string() throws -> String {
        let cell = try next()
        guard cell.dataType == .text || cell.dataType == .varchar, let bytes = cell.bytes else { return try cell.decode(String.self) }
        return String(buffer: bytes)
    }

    public mutating func int64() throws -> Int64 { try integer(.int8) }

    public mutating func int32() throws -> Int32 { try integer(.int4) }

    /// An int8 cell that may be NULL.
    public mutating func optionalInt64() throws -> Int64? {
        let cell = try next()
        guard cell.bytes != nil else { return nil }
        return try cell.decode(Int64.self)
    }

    private mutating func integer<Value: FixedWidthInteger & PostgresDecodable>(_ type: PostgresDataType) throws -> Value {
        let cell = try next()
        if cell.format == .binary, cell.dataType == type, let bytes = cell.bytes, bytes.readableBytes == Value.bitWidth / 8,
            let value = bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: Value.self)
        {
            return value
        }
        return try cell.decode(Value.self)
    }

    public mutating func double() throws -> Double {
        guard let value = try optionalDouble() else { throw CellReadError(detail: "\(what): a float8 column is NULL") }
        return value
    }

    public mutating func optionalDouble() throws -> Double? {
        let cell = try next()
        guard let bytes = cell.bytes else { return nil }
        if cell.format == .binary, cell.dataType == .float8, bytes.readableBytes == 8,
            let bits = bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: UInt64.self)
        {
            return Double(bitPattern: bits)
        }
        return try cell.decode(Double?.self)
    }

    public mutating func bool() throws -> Bool {
        try next().decode(Bool.self)
    }
}

/// A row did not have the shape its reader expected.
public struct CellReadError: Error, CustomStringConvertible, Sendable {
    public var detail: String
    public var description: String { "reading a row: \(detail)" }
}
