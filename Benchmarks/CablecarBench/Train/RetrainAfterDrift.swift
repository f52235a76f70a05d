import CablecarDomain
import CablecarFeatureClient
import CablecarFeatures
import CablecarForecasting
import CablecarSimulation
import Foundation

/// `cablecar-bench retrain-drift`: the continuous-training step of the loop without the services.
/// A simulated city runs `days` ordinary days, then a lane closure (and 8 % less demand) in one
/// neighborhood. The first model trains on the ordinary days; retraining requests then arrive
/// `hoursAfter` hours into the drift, each with the window the trainer's alert intake asks for.
/// Printed per request: the test period, the gate verdict and the drifted neighborhood's errors
/// (candidate, production, both baselines) at every horizon.
///
/// Observations are the simulator's truth plus Gaussian measurement noise of the size the
/// sensors' observed values have (`speedNoise`, `flowNoise`: standard deviations), or, with
/// `featuresURL`, what a running feature store holds (after `cablecar run`, whose drift starts
/// after its `days`).
struct RetrainAfterDrift {
    var days: Int
    var featuresURL: URL?
    var neighborhood: String
    var hoursAfter: [Int]
    var speedNoise: Double
    var flowNoise: Double
    var seed: UInt64
    var printPresence: Bool
    /// Print each retrained candidate's errors by local hour in this neighborhood.
    var hourlyNeighborhood: String?

    func run() async throws {
        let (source, first) = try await observations()
        let onset = first + EpochMillis(days) * 86_400_000
        let parameters = ModelParameters(timeZone: try CityDefinition.bundledDefault().timeZone)

        if printPresence { presence(source.all, before: onset) }
        let initial = try await fit(source, start: source.all.request.start, end: onset, parameters: parameters)
        print("first model: \(days) days, test period \(describe(initial.split.test, from: first))")
        let initialJudgement = CandidateJudgement.judge(initial, production: nil, parameters: parameters)
        let initialReport = initialJudgement.report
        print("  gates: \(initialJudgement.verdict.summary)")
        if !initialJudgement.routes.isEmpty { print("  routes: \(initialJudgement.routes.map(\.description).joined(separator: ", "))") }
        for target in parameters.targets {
            for horizon in parameters.horizons {
                let cells = [ModelRole.candidate, .historicalAverage, .persistence].map { role in
                    initialReport.errors(role, target, horizon)?.mae.map { String(format: "%.2f", $0) } ?? "-"
                }
                print("  city \(target.rawValue) h\(horizon): model \(cells[0]), historical average \(cells[1]), persistence \(cells[2])")
            }
        }
        for hours in hoursAfter {
            let end = onset + EpochMillis(hours) * 3_600_000
            let retrained = try await fit(
                source, start: max(source.all.request.start, end - 28 * 86_400_000), end: end, parameters: parameters)
            let judgement = CandidateJudgement.judge(retrained, production: initialJudgement.model, parameters: parameters)
            let (report, verdict) = (judgement.report, judgement.verdict)
            print(
                "retrain \(hours) h into the drift: fitting \(describe(retrained.split.fitting, from: first)), "
                    + "test \(describe(retrained.split.test, from: first)) -> \(verdict.passed ? "PASSED" : "FAILED")")
            for check in verdict.checks where !check.passed { print("  failed \(check.name): \(check.detail)") }
            if !judgement.routes.isEmpty { print("  routes: \(judgement.routes.map(\.description).joined(separator: ", "))") }
            if let hourlyNeighborhood {
                let hourly = HourlyErrors(
                    data: retrained.data, period: retrained.split.test,
                    zone: TimeZone(identifier: parameters.timeZone ?? "UTC") ?? .gmt, neighborhood: hourlyNeighborhood)
                let models: [(String, any ForecastModel)] = [
                    ("candidate", judgement.model), ("production", initialJudgement.model), ("average", retrained.average),
                ]
                for target in parameters.targets {
                    hourly.print(target: target, horizon: parameters.horizons.max() ?? 60, models: models)
                }
            }
            for target in parameters.targets {
                for horizon in parameters.horizons {
                    for scope in [nil, neighborhood] {
                        let cells = [ModelRole.candidate, .production, .historicalAverage, .persistence].map { role in
                            report.errors(role, target, horizon, neighborhood: scope)?.mae.map { String(format: "%.2f", $0) } ?? "-"
                        }
                        print(
                            "  \(scope ?? "city") \(target.rawValue) h\(horizon): candidate \(cells[0]), production \(cells[1]), "
                                + "historical average \(cells[2]), persistence \(cells[3])")
                    }
                }
            }
        }
    }

    /// Every step's rows, fetched once; sub-ranges are cut from them.
    private func observations() async throws -> (RecordedSnapshots, EpochMillis) {
        if let featuresURL {
            let client = FeatureClient(baseURL: featuresURL, recordSnapshots: false)
            guard let steps = try await client.materializedSteps() else {
                throw SimulationError.invalidConfiguration("the feature store at \(featuresURL) has no materialized steps")
            }
            let first = steps.lowerBound / 86_400_000 * 86_400_000
            let all = try await client.historical(SnapshotRequest(start: steps.lowerBound, end: steps.upperBound))
            print("feature store: \(all.rows.count) rows × \(all.featureNames.count) features")
            return (RecordedSnapshots(all: all), first)
        }
        let city = try CityDefinition.bundledDefault()
        let scenario = Scenario(
            name: "drift",
            changes: [
                ScenarioChange(kind: .construction, fromDay: days, neighborhoods: [neighborhood], lanesClosed: 1),
                ScenarioChange(kind: .demandShift, fromDay: days, neighborhoods: [neighborhood], multiplier: 0.92),
            ])
        let simulated = try TruthObservations.simulate(
            SimulationConfiguration(city: city, days: days + 2, seed: seed, scenario: scenario))
        let traffic = NoisyObservations(simulated: simulated, city: city, speedNoise: speedNoise, flowNoise: flowNoise, seed: seed).traffic
        let source = try InProcessSnapshotSource(city: city, traffic: traffic, context: simulated.context)
        let first = (traffic.map(\.eventTime).min() ?? 0) / 86_400_000 * 86_400_000
        let last = traffic.map(\.eventTime).max() ?? 0
        return (RecordedSnapshots(all: try await source.snapshot(SnapshotRequest(start: first, end: last))), first)
    }

    /// Share of the rows in which each feature has a value, before the drift (the first model's
    /// days) and after it: what the point-in-time rule left each period to learn or serve from.
    private func presence(_ snapshot: FeatureSnapshot, before onset: EpochMillis) {
        func shares(_ include: (EpochMillis) -> Bool) -> (rows: Int, shares: [Double]) {
            var present = Array(repeating: 0, count: snapshot.featureNames.count)
            var rows = 0
            for row in snapshot.rows where include(row.timestamp) {
                rows += 1
                for (index, value) in row.values.enumerated() where value != nil && index < present.count { present[index] += 1 }
            }
            return (rows, present.map { 100 * Double($0) / Double(max(rows, 1)) })
        }
        let before = shares { $0 < onset }
        let after = shares { $0 >= onset }
        print("feature presence, % of rows: before the drift (\(before.rows) rows), after it (\(after.rows) rows)")
        for (index, name) in snapshot.featureNames.enumerated() {
            let row = String(format: "%5.1f  %5.1f", before.shares[index], after.shares[index])
            print("  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(row)")
        }
    }

    private func fit(_ source: RecordedSnapshots, start: EpochMillis, end: EpochMillis, parameters: ModelParameters)
        async throws -> FittedModels
    {
        try FittedModels.fit(snapshot: try await source.snapshot(SnapshotRequest(start: start, end: end)), parameters: parameters)
    }

    private func describe(_ range: Range<EpochMillis>, from origin: EpochMillis) -> String {
        func hours(_ t: EpochMillis) -> String {
            let h = Double(t - origin) / 3_600_000
            return "day \(Int(h / 24)) \(Int(h.truncatingRemainder(dividingBy: 24)))h"
        }
        return "\(hours(range.lowerBound))..<\(hours(range.upperBound))"
    }
}

/// One snapshot over the whole range; a request's rows are the ones in its time range.
struct RecordedSnapshots {
    var all: FeatureSnapshot

    func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        var part = all
        part.request = request
        part.rows = all.rows.filter { request.start <= $0.timestamp && $0.timestamp < request.end }
        return part
    }
}
