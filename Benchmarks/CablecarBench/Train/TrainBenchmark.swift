import CablecarDomain
import CablecarFeatures
import CablecarForecasting
import CablecarNumerics
import CablecarSimulation
import Foundation
import Synchronization

/// `cablecar-bench train`: training time for `days` simulated days of the whole city (speed and
/// flow, horizons 15/30/60, ridge per neighborhood with its penalty search, plus both baselines),
/// then the same ridge fits against scikit-learn on the exported design matrices.
///
/// The comparison: for every neighborhood's speed model at horizon 15, fit on the training rows
/// with the penalty the search chose and score the validation rows — in Swift (CablecarNumerics)
/// and in Python (`StandardScaler` + `Ridge(solver="cholesky")`) on the very same numbers,
/// exported as .npy under `output`. Reported: the fit-time ratio, both validation MAEs and the
/// largest difference between the standardized coefficients. LightGBM, when the script finds it,
/// fits gradient-boosted trees on the same rows and columns as the accuracy and fit-time peer.
struct TrainBenchmark {
    var days: Int
    var stepMinutes: Int
    var output: URL
    var python: String?

    func run() async throws {
        let total = Date()
        var clock = Date()
        let city = try CityDefinition.bundledDefault()
        let observations = try TruthObservations.simulate(SimulationConfiguration(city: city, days: days, seed: 1))
        print("simulated \(days) days: \(observations.traffic.count) traffic observations in \(seconds(since: clock)) s")

        clock = Date()
        let source = try InProcessSnapshotSource(city: city, traffic: observations.traffic, context: observations.context)
        let step = EpochMillis(stepMinutes) * 60_000
        let first = observations.traffic.map(\.eventTime).min() ?? 0
        let last = observations.traffic.map(\.eventTime).max() ?? 0
        let request = SnapshotRequest(start: (first / step + 1) * step, end: (last / step) * step, stepMillis: step)
        let snapshot = try await source.snapshot(request)
        print(
            "feature snapshot: \(snapshot.rows.count) rows × \(snapshot.featureNames.count) features in \(seconds(since: clock)) s")

        let parameters = ModelParameters()
        clock = Date()
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        let indexing = seconds(since: clock)

        let collected = MatrixCollector()
        clock = Date()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: parameters) { matrix, _ in
            if matrix.key.hasPrefix("\(ForecastTarget.speed.rawValue)|15|") { collected.add(matrix) }
        }
        let ridgeSeconds = seconds(since: clock)
        clock = Date()
        let average = try HistoricalAverageModel.fit(data, split: split, parameters: parameters)
        let persistence = try PersistenceModel.fit(data, split: split, parameters: parameters)
        let baselineSeconds = seconds(since: clock)
        clock = Date()
        let artifact = try ridge.artifact()
        let artifactSeconds = seconds(since: clock)
        clock = Date()
        let report = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [(.candidate, ridge), (.historicalAverage, average), (.persistence, persistence)],
            targets: parameters.targets, horizons: parameters.horizons)
        let evaluationSeconds = seconds(since: clock)
        let trainingSeconds = indexing + ridgeSeconds + baselineSeconds + artifactSeconds
        print(
            """
            training (index \(fmt(indexing)) s + ridge \(ridge.solutions.count) models with penalty search and \
            \(ridge.treeTrials.count) sets of trees tried (\(ridge.trees.count) served) \(fmt(ridgeSeconds)) s \
            + baselines \(fmt(baselineSeconds)) s + artifact \(artifact.count / 1024) KiB \(fmt(artifactSeconds)) s): \
            \(fmt(trainingSeconds)) s; evaluation on the test period \(fmt(evaluationSeconds)) s
            """)
        for target in parameters.targets {
            for horizon in parameters.horizons {
                let c = report.errors(.candidate, target, horizon)?.mae ?? .nan
                let h = report.errors(.historicalAverage, target, horizon)?.mae ?? .nan
                let p = report.errors(.persistence, target, horizon)?.mae ?? .nan
                print("  test MAE \(target.rawValue) h\(horizon): candidate \(fmt(c)), historical average \(fmt(h)), persistence \(fmt(p))")
            }
        }
        try compare(collected.matrices, chosen: ridge.selections)
        print("total \(fmt(seconds(since: total))) s")
    }

    /// Fits the exported matrices in Swift (timed) and in scikit-learn (timed by the script).
    private func compare(_ matrices: [RidgeDesignMatrix], chosen: [String: RidgeForecastModel.Selection]) throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var entries: [[String: Any]] = []
        var swiftSeconds = 0.0
        var swiftErrors = ErrorAccumulator()
        var rows = 0
        for (index, matrix) in matrices.sorted(by: { $0.key < $1.key }).enumerated() {
            guard let penalty = chosen[matrix.key]?.penalty, matrix.trainingRows < matrix.x.rows else { continue }
            let clock = Date()
            let solution = try RidgeProblem(x: matrix.x, y: matrix.y, rowCount: matrix.trainingRows).solve(penalty: penalty)
            var errors = ErrorAccumulator()
            matrix.x.values.withUnsafeBufferPointer { xs in
                let p = matrix.x.columns
                for r in matrix.trainingRows..<matrix.x.rows {
                    errors.add(predicted: solution.predict(UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)])), actual: matrix.y[r])
                }
            }
            let elapsed = seconds(since: clock)
            swiftSeconds += elapsed
            swiftErrors.merge(errors)
            rows += matrix.x.rows
            let xFile = "X_\(index).npy"
            let yFile = "y_\(index).npy"
            try NpyWriter.write(matrix.x.values, shape: [matrix.x.rows, matrix.x.columns], to: output.appendingPathComponent(xFile))
            try NpyWriter.write(matrix.y, shape: [matrix.y.count], to: output.appendingPathComponent(yFile))
            entries.append([
                "key": matrix.key, "x": xFile, "y": yFile, "training_rows": matrix.trainingRows, "penalty": penalty,
                "swift_standardized_coefficients": solution.standardizedCoefficients, "swift_intercept": solution.intercept,
                "swift_validation_mae": errors.mae ?? Double.nan, "swift_seconds": elapsed,
            ])
        }
        let meta: [String: Any] = ["matrices": entries, "columns": matrices.first?.columns ?? []]
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]).write(to: output.appendingPathComponent("meta.json"))
        let columns = matrices.first?.x.columns ?? 0
        print(
            "design matrices (speed, h15, \(entries.count) neighborhoods, \(rows) rows × \(columns) columns) exported to \(output.path)")
        print(
            "Swift ridge fits on the training rows + validation predictions: \(fmt(swiftSeconds)) s, validation MAE \(fmt(swiftErrors.mae ?? .nan))"
        )
        guard let python else {
            print("scikit-learn comparison skipped (no --python; scripts/bench-train provides one)")
            return
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/train-bench.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, output.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let outputData = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: outputData, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }),
            let result = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any],
            let sklearnSeconds = result["seconds"] as? Double, let sklearnMAE = result["validation_mae"] as? Double,
            let maxDifference = result["max_coefficient_difference"] as? Double
        else {
            print("scikit-learn comparison failed (status \(process.terminationStatus)):\n\(text)")
            return
        }
        print(
            "scikit-learn (StandardScaler + Ridge, solver cholesky, same penalties): \(fmt(sklearnSeconds)) s, validation MAE \(fmt(sklearnMAE))"
        )
        print(
            "ratio scikit-learn / Swift fit time: \(String(format: "%.2f", sklearnSeconds / swiftSeconds))×; "
                + "max |Δ standardized coefficient| = \(String(format: "%.3g", maxDifference)); "
                + "|Δ validation MAE| = \(String(format: "%.3g", abs(sklearnMAE - (swiftErrors.mae ?? .nan))))")
        if let lightSeconds = result["lightgbm_seconds"] as? Double, let lightMAE = result["lightgbm_validation_mae"] as? Double {
            let version = result["lightgbm_version"] as? String ?? "?"
            print(
                "LightGBM \(version) (300 trees, 31 leaves, one thread, same rows and columns): \(fmt(lightSeconds)) s, "
                    + "validation MAE \(fmt(lightMAE)); ridge / LightGBM: fit time "
                    + "\(String(format: "%.2f", swiftSeconds / lightSeconds))×, validation MAE "
                    + "\(String(format: "%.3f", (swiftErrors.mae ?? .nan) / lightMAE))")
        } else {
            print("LightGBM comparison skipped (not installed in \(python))")
        }
    }

    private func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }
    private func fmt(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// Design matrices handed out by the fit's callback (called on the fitting thread).
final class MatrixCollector: Sendable {
    private let stored = Mutex<[RidgeDesignMatrix]>([])
    func add(_ matrix: RidgeDesignMatrix) { stored.withLock { $0.append(matrix) } }
    var matrices: [RidgeDesignMatrix] { stored.withLock { $0 } }
}
