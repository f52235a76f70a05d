import Foundation

/// A Cablecar service executable run as a process by a test: on the test stack's Postgres and
/// broker, on a port of its own, output discarded; `base` is its HTTP address.
public struct ServiceProcess {
    public let process: Process
    public let base: String

    /// Starts `name` with `environment` over the inherited one, and waits up to 90 s for
    /// `waitingFor` (/health/ready) to answer 200 (the answer, or nil, says how that went).
    public static func start(
        _ name: String, port: Int, environment: [String: String], waitingFor path: String = "/health/ready"
    ) async throws -> (ServiceProcess, HTTPProbe.Response?) {
        let process = Process()
        process.executableURL = try ProductBinary.url(name)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestChildren.run(process)
        let service = ServiceProcess(process: process, base: "http://127.0.0.1:\(port)")
        let ready = await HTTPProbe.waitFor("\(service.base)\(path)", status: 200, timeout: .seconds(90))
        return (service, ready)
    }

    /// SIGINT, as Ctrl-C, then up to 30 s for the exit; the exit status, or nil when the service
    /// did not stop in time (it is then killed, so it does not outlive the test).
    @discardableResult
    public func stop() async throws -> Int32? {
        process.interrupt()
        let stopBy = Date().addingTimeInterval(30)
        while process.isRunning, Date() < stopBy { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
