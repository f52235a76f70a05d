import Foundation

/// Third-party clients from PyPI (scripts/bootstrap installs them into .cablecar/probe-venv) run
/// against a service process: schemathesis, which fuzzes every operation of an OpenAPI document,
/// and the Python of that environment (tritonclient). A machine without them fails the tests
/// that use them; they are never skipped.
public enum APIProbes {
    public static func executable(_ name: String) throws -> URL {
        let url = TestStack.repositoryRoot.appendingPathComponent(".cablecar/probe-venv/bin/\(name)")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestFailure("\(name) is not installed at \(url.path): run scripts/bootstrap")
        }
        return url
    }

    /// schemathesis with every check but `positive_data_acceptance` against the document the
    /// service serves at `base`/openapi.json: exit status and output. That one check is left out
    /// because ids in bodies and paths (segments, neighborhoods, requests) are checked against
    /// the city and the database, which a schema cannot list; every other check (no 5xx, responses
    /// and statuses as documented, invalid input refused, wrong methods 405) applies.
    public static func schemathesis(base: String, examples: Int = 40, seed: Int = 20_261_203, headers: [String] = [])
        async throws -> (status: Int32, output: String)
    {
        var arguments = [
            "--no-color", "run", "\(base)/openapi.json", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "\(examples)", "--seed", "\(seed)", "--request-timeout", "30", "--workers", "1",
        ]
        for header in headers { arguments += ["--header", header] }
        return try await run(try executable("schemathesis"), arguments)
    }

    /// Runs `executable` to its end (at most 10 minutes) without blocking the cooperative pool.
    public static func run(_ executable: URL, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // schemathesis keeps a cache in its working directory: not in the repository.
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try TestChildren.run(process)
        let deadline = ContinuousClock.now + .seconds(600)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (timedOut ? -1 : process.terminationStatus, text)
    }
}
