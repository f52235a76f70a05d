import CablecarDomain
import Foundation

/// How fast a replay runs relative to simulated time.
public enum ReplayPace: Sendable, Equatable {
    /// As fast as the machine allows.
    case unlimited
    /// `x` simulated seconds per wall-clock second (1 = real time).
    case multiple(Double)

    /// Parses `max` or a positive number.
    public init?(_ text: String) {
        if text == "max" || text == "unlimited" {
            self = .unlimited
        } else if let value = Double(text), value > 0, value.isFinite {
            self = .multiple(value)
        } else {
            return nil
        }
    }
}

/// Drives a `SimulationEngine` into a `FeedSink`: batches records, keeps pace, writes the
/// ground truth, reports progress, and returns the summary.
public enum SimulationReplay {
    /// Progress as (share of simulated time done, records published so far).
    public typealias ProgressHandler = @Sendable (Double, Int) -> Void

    public static func run(
        _ configuration: SimulationConfiguration, into sink: some FeedSink, groundTruth: GroundTruthWriter? = nil,
        pace: ReplayPace = .unlimited, batchMinutes: Int = 5, progress: ProgressHandler? = nil
    ) async throws -> SimulationSummary {
        let engine = try SimulationEngine(configuration: configuration)
        var summary = SimulationSummary()
        let clock = ContinuousClock()
        let wallStart = clock.now
        var batch: [FeedRecord] = []
        var faults: [InjectedFault] = []
        var minutes = 0
        var published = 0
        while !engine.isFinished {
            try engine.step()
            minutes += 1
            batch += engine.takeRecords()
            faults += engine.takeFaults()
            guard minutes % batchMinutes == 0 else { continue }
            try await flush(&batch, &faults, engine: engine, sink: sink, truth: groundTruth, summary: &summary)
            published = summary.totalRecords
            if case .multiple(let factor) = pace {
                let simulated = Double(engine.now - engine.startTime) / 1_000
                let due = wallStart + .milliseconds(Int64(simulated / factor * 1_000))
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            }
            progress?(engine.progress, published)
        }
        batch += engine.takeRecords()
        faults += engine.takeFaults()
        try await flush(&batch, &faults, engine: engine, sink: sink, truth: groundTruth, summary: &summary)
        try await sink.finish()
        try groundTruth?.close()
        summary.simulatedMinutes = Int((engine.endTime - engine.startTime) / 60_000)
        summary.simulatedDays = configuration.days
        progress?(1, summary.totalRecords)
        return summary
    }

    private static func flush(
        _ batch: inout [FeedRecord], _ faults: inout [InjectedFault], engine: SimulationEngine, sink: some FeedSink,
        truth: GroundTruthWriter?, summary: inout SimulationSummary
    ) async throws {
        let rows = engine.takeTruth()
        summary.count(records: batch, faults: faults, truth: rows.count)
        try truth?.write(truth: rows, faults: faults)
        if !batch.isEmpty { try await sink.publish(batch) }
        batch.removeAll(keepingCapacity: true)
        faults.removeAll(keepingCapacity: true)
    }

    /// Everything a run produces, held in memory: for tests and benchmarks.
    public struct Output: Sendable {
        public var records: [FeedRecord] = []
        public var truth: [SegmentTruth] = []
        public var faults: [InjectedFault] = []
    }

    /// Runs synchronously, as fast as possible, and keeps everything in memory.
    public static func collect(_ configuration: SimulationConfiguration) throws -> Output {
        let engine = try SimulationEngine(configuration: configuration)
        var output = Output()
        while !engine.isFinished {
            try engine.step()
            output.records += engine.takeRecords()
            output.truth += engine.takeTruth()
            output.faults += engine.takeFaults()
        }
        return output
    }
}
