import Foundation

/// The benchmark's closing table: medians over rounds, per phase and server, and the ratios.
enum ServingReport {
    static func line(_ result: LoadGenerator.Result) -> String {
        "\(fmt(result.perSecond, 0)) req/s, p50 \(fmt(result.percentile(0.5))) ms, p99 \(fmt(result.percentile(0.99))) ms, "
            + "p99.9 \(fmt(result.percentile(0.999))) ms, \(result.failures) failed"
    }

    static func print(phases: [ServingPhase], servers: [BenchServer], results: [String: [String: [LoadGenerator.Result]]]) {
        Swift.print("\nmedian over rounds; latency from each request's due time (fixed rate) or send time (saturation)")
        Swift.print(
            "| phase | server | req/s | values/s (segment x horizon x target) | p50 ms | p99 ms | p99.9 ms | failed |\n|---|---|---|---|---|---|---|---|"
        )
        for phase in phases {
            for server in servers {
                let rounds = results[phase.name]?[server.name] ?? []
                guard !rounds.isEmpty else { continue }
                let perSecond = median(rounds.map(\.perSecond))
                // A server that cannot keep up with a fixed rate queues requests: its latency then
                // measures the queue, and says so.
                let overloaded = phase.rate.map { perSecond < 0.95 * $0 } ?? false
                Swift.print(
                    "| \(phase.name) | \(server.name) | \(fmt(perSecond, 0)) | \(fmt(perSecond * Double(phase.segmentsPerRequest) * 6, 0)) "
                        + "| \(fmt(median(rounds.map { $0.percentile(0.5) }))) | \(fmt(median(rounds.map { $0.percentile(0.99) }))) "
                        + "| \(fmt(median(rounds.map { $0.percentile(0.999) }))) | \(rounds.map(\.failures).reduce(0, +)) |"
                        + (overloaded ? " cannot sustain the rate |" : ""))
            }
        }
        for server in servers {
            let memory = server.memory()
            Swift.print(
                "\(server.name): resident \(fmt(memory.residentMiB, 1)) MiB, peak \(fmt(memory.peakMiB, 1)) MiB "
                    + "(\(memory.processes) process\(memory.processes == 1 ? "" : "es"))")
        }
        guard servers.count == 2 else { return }
        let (ours, peer) = (servers[0].name, servers[1].name)
        for phase in phases where phase.rate == nil {
            let a = median(results[phase.name]?[ours]?.map(\.perSecond) ?? [])
            let b = median(results[phase.name]?[peer]?.map(\.perSecond) ?? [])
            Swift.print("\(phase.name): \(ours) serves \(fmt(a / b, 1))x the requests per second of \(peer)")
        }
        for phase in phases where phase.rate != nil {
            let a = median(results[phase.name]?[ours]?.map { $0.percentile(0.99) } ?? [])
            let b = median(results[phase.name]?[peer]?.map { $0.percentile(0.99) } ?? [])
            Swift.print("\(phase.name): p99 \(fmt(a)) ms against \(fmt(b)) ms (\(fmt(b / a, 1))x lower)")
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
}
