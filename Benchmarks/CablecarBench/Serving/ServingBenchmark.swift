import ArgumentParser
import CablecarSimulation
import Foundation

/// `cablecar-bench serving`: cablecar-forecast's serving path against a FastAPI + NumPy
/// peer serving the same model on the same features, under the same load, in one run.
struct ServingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serving",
        abstract: "Forecast serving latency and throughput (1 and 100 segments, fixed rate and saturation) against FastAPI + NumPy.")

    @Option(help: "Simulated days the served model is fitted on.") var days = 14
    @Option(help: "Seconds per load phase.") var seconds = 10.0
    @Option(help: "Fixed rates for single-segment requests (requests per second, comma-separated).") var singleRates = "200,1000"
    @Option(help: "Fixed rate for 100-segment requests.") var batchRate = 20.0
    @Option(help: "Connections of the load generator.") var connections = 8
    @Option(help: "Interleaved rounds (each runs every phase on both servers).") var rounds = 1
    @Option(help: "Uvicorn workers of the peer (one per core is its usual deployment).") var peerWorkers = 2
    @Option(help: "Python with fastapi, uvicorn and scikit-learn (scripts/bench-serving passes one); without it only Cablecar is measured.")
    var python: String?
    @Option(help: "Where the model artifact and online features are written.") var output = ".cablecar/bench-serving"

    func run() async throws {
        let fixture = try await ServingFixture.make(days: days, in: URL(fileURLWithPath: output))
        var servers: [BenchServer] = []
        defer { for server in servers { server.stop() } }
        servers.append(try await BenchServer.cablecar(fixture: fixture, port: 18_084))
        if let python {
            servers.append(try await BenchServer.peer(fixture: fixture, python: python, workers: peerWorkers, port: 18_094))
        } else {
            print("FastAPI + NumPy peer skipped (no --python; scripts/bench-serving provides one)")
        }
        if servers.count == 2 { try ServingAgreement.check(servers[0], servers[1], segments: Array(fixture.segments.prefix(100))) }

        let phases = ServingPhase.standard(
            segments: fixture.segments, singleRates: singleRates.split(separator: ",").compactMap { Double($0) }, batchRate: batchRate,
            connections: connections, seconds: seconds)
        var results: [String: [String: [LoadGenerator.Result]]] = [:]
        for round in 1...max(1, rounds) {
            for phase in phases {
                for server in servers {
                    _ = await LoadGenerator.run(
                        port: server.port, requests: phase.requests, connections: connections, seconds: 1, rate: nil)
                    let result = await LoadGenerator.run(
                        port: server.port, requests: phase.requests, connections: connections, seconds: seconds, rate: phase.rate)
                    results[phase.name, default: [:]][server.name, default: []].append(result)
                    print("round \(round) \(phase.name) \(server.name): \(ServingReport.line(result))")
                }
            }
        }
        ServingReport.print(phases: phases, servers: servers, results: results)
    }
}

/// One load shape: which requests, at which rate (nil: saturation).
struct ServingPhase {
    var name: String
    var requests: [[UInt8]]
    var rate: Double?
    var segmentsPerRequest: Int

    static func standard(segments: [String], singleRates: [Double], batchRate: Double, connections: Int, seconds: Double) -> [ServingPhase]
    {
        let single = segments.map { LoadGenerator.post(path: "/v1/forecasts", body: Array("{\"segments\":[\"\($0)\"]}".utf8)) }
        // Twenty different 100-segment batches, drawn the same way every run.
        var generator = SeededRandom(seed: 42)
        let batches = (0..<20).map { _ in
            let chosen = segments.shuffled(using: &generator).prefix(100).map { "\"\($0)\"" }.joined(separator: ",")
            return LoadGenerator.post(path: "/v1/forecasts", body: Array("{\"segments\":[\(chosen)]}".utf8))
        }
        return singleRates.map { rate in
            ServingPhase(name: "1 segment at \(Int(rate))/s", requests: single, rate: rate, segmentsPerRequest: 1)
        } + [
            ServingPhase(name: "1 segment, saturated", requests: single, rate: nil, segmentsPerRequest: 1),
            ServingPhase(name: "100 segments at \(Int(batchRate))/s", requests: batches, rate: batchRate, segmentsPerRequest: 100),
            ServingPhase(name: "100 segments, saturated", requests: batches, rate: nil, segmentsPerRequest: 100),
        ]
    }
}
