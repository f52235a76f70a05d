import Foundation

/// A server process the serving benchmark started, and how to read its memory.
struct BenchServer {
    var name: String
    var port: Int
    var process: Process

    /// cablecar-forecast's serving parts, hosted by this executable's `serving-host`.
    static func cablecar(fixture: ServingFixture, port: Int) async throws -> BenchServer {
        try requireFree(port)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serving-host", "--directory", fixture.directory.path, "--sha256", fixture.sha256, "--port", "\(port)"]
        try process.run()
        let server = BenchServer(name: "cablecar-forecast", port: port, process: process)
        try await server.waitUntilAnswering(fixture.segments[0])
        return server
    }

    /// Benchmarks/peers/forecast_peer.py under uvicorn.
    static func peer(fixture: ServingFixture, python: String, workers: Int, port: Int) async throws -> BenchServer {
        try requireFree(port)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("peers/forecast_peer.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--port", "\(port)", "--workers", "\(workers)"]
        var environment = ProcessInfo.processInfo.environment
        environment["CABLECAR_PEER_ARTIFACT"] = fixture.artifact.path
        environment["CABLECAR_PEER_FEATURES"] = fixture.features.path
        process.environment = environment
        try process.run()
        let server = BenchServer(name: "FastAPI + NumPy", port: port, process: process)
        try await server.waitUntilAnswering(fixture.segments[0])
        return server
    }

    /// Refuses a port something already listens on: the benchmark would measure that instead.
    static func requireFree(_ port: Int) throws {
        if (try? BlockingHTTPClient(port: port)) != nil {
            throw BenchError("port \(port) is in use (a server left from an earlier run?); stop it first")
        }
    }

    /// A forecast for one segment, retried for up to two minutes while the server starts.
    func waitUntilAnswering(_ segment: String) async throws {
        let request = LoadGenerator.post(path: "/v1/forecasts", body: Array("{\"segments\":[\"\(segment)\"]}".utf8))
        for _ in 0..<600 {
            guard process.isRunning else { throw BenchError("\(name) exited with status \(process.terminationStatus) while starting") }
            if let answer = try? BlockingHTTPClient(port: port).exchange(request), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("\(name) did not answer a forecast on port \(port) within two minutes")
    }

    func answer(_ body: String) throws -> [String: Any] {
        let answer = try BlockingHTTPClient(port: port).exchange(LoadGenerator.post(path: "/v1/forecasts", body: Array(body.utf8)))
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
            throw BenchError("\(name) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self).prefix(300))")
        }
        return object
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Resident and peak resident size of the process and its descendants (uvicorn's workers).
    func memory() -> (residentMiB: Double, peakMiB: Double, processes: Int) {
        var pids = [process.processIdentifier]
        var index = 0
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }) ?? []
        while index < pids.count {
            let parent = pids[index]
            pids += all.filter { Self.parent(of: $0) == parent }
            index += 1
        }
        var resident = 0.0
        var peak = 0.0
        for pid in pids {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") {
                let fields = line.split(whereSeparator: \.isWhitespace)
                guard fields.count >= 2, let kib = Double(fields[1]) else { continue }
                if fields[0] == "VmRSS:" { resident += kib / 1024 }
                if fields[0] == "VmHWM:" { peak += kib / 1024 }
            }
        }
        return (resident, peak, pids.count)
    }

    private static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}

/// Both servers must give the same forecasts for the same request, or the comparison is void.
enum ServingAgreement {
    static func check(_ ours: BenchServer, _ peer: BenchServer, segments: [String]) throws {
        let body = "{\"segments\":[\(segments.map { "\"\($0)\"" }.joined(separator: ","))]}"
        func values(_ answer: [String: Any]) -> [String: Double] {
            var values: [String: Double] = [:]
            for item in answer["forecasts"] as? [[String: Any]] ?? [] {
                let key = "\(item["segment_id"] ?? "")|\(item["horizon_min"] ?? "")"
                if let speed = item["speed_kmh"] as? Double { values[key + "|speed"] = speed }
                if let flow = item["flow_veh_h"] as? Double { values[key + "|flow"] = flow }
            }
            return values
        }
        let a = values(try ours.answer(body))
        let b = values(try peer.answer(body))
        guard a.count == segments.count * 6, Set(a.keys) == Set(b.keys) else {
            throw BenchError("the servers answered different forecasts: \(a.count) values against \(b.count)")
        }
        let worst = a.map { key, value in abs(value - (b[key] ?? .infinity)) / max(1, abs(value)) }.max() ?? .infinity
        guard worst < 1e-9 else { throw BenchError("the servers' forecasts differ by up to \(worst) (relative)") }
        print("agreement: \(a.count) forecast values for \(segments.count) segments, largest relative difference \(worst)")
    }
}
