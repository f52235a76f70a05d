import CablecarDomain
import Foundation

/// Writes the ground-truth file: JSON lines, one per segment per five-minute interval
/// (`"type":"segment"`) and one per injected fault (`"type":"fault"`). Format in
/// docs/scenarios.md.
public final class GroundTruthWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let encoder: JSONEncoder
    public let url: URL

    public init(url: URL) throws {
        self.url = url
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SimulationError.invalidConfiguration("cannot create ground-truth file \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func write(truth: [SegmentTruth], faults: [InjectedFault]) throws {
        for row in truth { buffer.append(contentsOf: row.jsonLine().utf8) }
        for fault in faults {
            // The type tag first, then the fault's own fields.
            var line = Array(#"{"type":"fault","#.utf8)
            let body = try encoder.encode(fault)
            line.append(contentsOf: body.dropFirst())
            line.append(0x0A)
            buffer.append(contentsOf: line)
        }
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
