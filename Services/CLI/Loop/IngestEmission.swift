import Foundation

/// Waits until ingest has stopped emitting observations (its `cablecar_ingest_emitted_total`
/// counters at /metrics stop moving). Used before the feature store starts on imported data:
/// ingest reads a published history in seconds but emits it as its watermark passes, and a
/// feature store reading that burst as it is written dated the observations of partitions that
/// had not received theirs yet by the clock of one that had (hours to days late, docs/trainer.md).
/// Started on the finished backlog, it sees every partition's messages waiting and holds its clock.
struct IngestEmission {
    let ingestPort: Int

    static func emitted(metrics text: String) -> Double? {
        let values = text.split(separator: "\n").filter { $0.hasPrefix("cablecar_ingest_emitted_total") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// Returns the number of observations emitted once it has not changed for three polls.
    func waitUntilSettled(timeout: Duration = .seconds(1800)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var last: Double?
        var unchanged = 0
        while ContinuousClock.now < deadline {
            if let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(ingestPort)/metrics", timeout: 30), status == 200,
                let emitted = Self.emitted(metrics: String(decoding: body, as: UTF8.self)), emitted > 0
            {
                if emitted == last {
                    unchanged += 1
                    if unchanged >= 3 { return Int(emitted) }
                } else {
                    print("  ingest has emitted \(Int(emitted)) observations")
                    last = emitted
                    unchanged = 0
                }
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw ValidationErrorText("ingest did not finish emitting observations within \(timeout); see the cablecar-ingest log")
    }
}
