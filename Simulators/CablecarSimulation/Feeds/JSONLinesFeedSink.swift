import CablecarDomain
import Foundation
import Synchronization

/// Writes one JSON-lines file per topic (`raw.loop.jsonl`, ...) into a directory.
///
/// Each line is an envelope: `{"topic":...,"key":...,"event_time":...,"publish_time":...,"value":"..."}`
/// where `value` is the record's bytes as a JSON string — a string, because injected faults
/// make some values invalid JSON that could not be embedded as an object. Lines are built by
/// hand (keys in a fixed order) so files are byte-identical across runs and cheap to write.
public final class JSONLinesFeedSink: FeedSink, Sendable {
    /// Open files and unwritten lines per topic; publish calls may come from any task.
    private struct Files {
        var handles: [Topic: FileHandle] = [:]
        var buffers: [Topic: [UInt8]] = [:]
    }

    private let files = Mutex(Files())
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
        try files.withLock { (files: inout Files) throws in
            for record in records {
                // Mutate in place: copying the buffer out of the dictionary would copy
                // a megabyte per record.
                Self.appendLine(record, to: &files.buffers[record.topic, default: []])
                if let size = files.buffers[record.topic]?.count, size >= 1 << 20 {
                    try handle(for: record.topic, in: &files).write(contentsOf: files.buffers[record.topic] ?? [])
                    files.buffers[record.topic]?.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    public func finish() async throws {
        try files.withLock { (files: inout Files) throws in
            for topic in Topic.rawFeeds {
                if let pending = files.buffers[topic], !pending.isEmpty {
                    try handle(for: topic, in: &files).write(contentsOf: pending)
                }
                files.buffers[topic] = []
                try files.handles[topic]?.close()
                files.handles[topic] = nil
            }
        }
    }

    private func handle(for topic: Topic, in files: inout Files) throws -> FileHandle {
        if let open = files.handles[topic] { return open }
        let url = directory.appendingPathComponent(Self.fileName(for: topic))
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SimulationError.invalidConfiguration("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        files.handles[topic] = handle
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
