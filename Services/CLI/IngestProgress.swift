import Foundation

/// Waits until ingest has handled everything the raw topics hold, by ingest's own word.
struct IngestProgress {
    let ingestPort: Int

    /// Returns ingest's accounting report once its consumer group has no lag on the raw topics
    /// and its count has stopped moving.
    func waitUntilCaughtUp(timeout: Duration = .seconds(1800)) async throws -> String {
        let probe = StreamLagProbe(service: "cablecar-ingest", port: ingestPort)
        let deadline = ContinuousClock.now + timeout
        var lastReceived = -1
        var unchangedPolls = 0
        while ContinuousClock.now < deadline {
            let lag = await probe.lag()
            let (status, body) = try await HTTPGet.fetch("http://127.0.0.1:\(ingestPort)/api/v1/accounting")
            guard status == 200 else { throw ValidationErrorText("ingest answered \(status) for its accounting") }
            let report = try JSONDecoder().decode(AccountingReport.self, from: body)
            if report.totalReceived == lastReceived {
                unchangedPolls += 1
                if lag == 0 && unchangedPolls >= 2 { return report.rendered() }
            } else {
                let waiting = lag.map { "\($0) still waiting on the raw topics" } ?? "lag not known yet"
                print("  ingest has accounted for \(report.totalReceived) raw records (\(waiting))")
                lastReceived = report.totalReceived
                unchangedPolls = 0
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw ValidationErrorText("ingest did not catch up within \(timeout)")
    }
}
