import CablecarDomain
import Foundation

/// Writes one JSON-lines file per topic (`raw.loop.jsonl`, ...) into a directory.
///
/// Each line is an envelope: `{"topic":...,"key":...,"event_time":...,"publish_time":...,"value":"..."}`
/// where `value` is the record's bytes as a JSON string — a string, because injected faults
/// make some values invalid JSON that could not be embedded as an object. Lines are built by
/// hand (keys in a fixed order) so files are byte-identical across runs and cheap to write.
public final class JSONLinesFeedSink: FeedSink, @unchecked Sendable {
    // Guarded by `lock`: FileHandle is a reference type shared across publish calls.
    private let lock = NSLock()
    private var handles: [Topic: FileHandle] = [:]
    private var buffers: [Topic: [UInt8]] = [:]
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SimulationError.invalidConfiguration("cannot create output directory \(directory.path): \(error.localizedDescription)")
        }
    }

    public static func fileName(for topic: Topic) -> String { "\(topic.rawValue).jsonl" }

    public func publish(_ records: [FeedRecord]) async throws {
        try lock.withLock {
            for record in records {
                // Mutate in place: copying the buffer out of the dictionary would copy
                // a megabyte per record.
                Self.appendLine(record, to: &buffers[record.topic, default: []])
                if let size = buffers[record.topic]?.count, size >= 1 << 20 {
                    try handle(for: record.topic).write(contentsOf: buffers[record.topic] ?? [])
                    buffers[record.topic]?.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    public func finish() async throws {
        try lock.withLock {
            for topic in Topic.rawFeeds {
                if let pending = buffers[topic], !pending.isEmpty {
                    try handle(for: topic).write(contentsOf: pending)
                }
                buffers[topic] = []
                try handles[topic]?.close()
                handles[topic] = nil
            }
        }
    }

    private func handle(for topic: Topic) throws -> FileHandle {
        if let open = handles[topic] { return open }
        let url = directory.appendingPathComponent(Self.fileName(for: topic))
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SimulationError.invalidConfiguration("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        handles[topic] = handle
        return handle
    }

    static func appendLine(_ record: FeedRecord, to line: inout [UInt8]) {
        line.append(contentsOf: #"{"topic":""#.utf8)
        line.append(contentsOf: record.topic.rawValue.utf8)
        line.append(contentsOf: #"","key":"#.utf8)
        JSONText.appendString(record.key, to: &line)
        line.append(contentsOf: #","event_time":"#.utf8)
        line.append(contentsOf: String(record.eventTime).utf8)
        line.append(contentsOf: #","publish_time":"#.utf8)
        line.append(contentsOf: String(record.publishTime).utf8)
        line.append(contentsOf: #","value":"#.utf8)
        JSONText.appendString(record.value, to: &line)
        line.append(contentsOf: "}\n".utf8)
    }
}
