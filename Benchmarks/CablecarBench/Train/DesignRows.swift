import CablecarDomain
import CablecarForecasting
import CablecarNumerics
import Foundation

/// The ridge's design rows per target and horizon, for fitting another model family on exactly
/// the ridge's inputs. Fitting rows are the trainer's own matrices (leave-one-out averages,
/// pooled over neighborhoods, the neighborhood's index as a last column) with the deviation from
/// the recent level as label; test rows are what the fitted ridge serves, with the actual, the
/// ridge's, the average's and the true state's values beside them.
struct DesignRows {
    struct Cell {
        var name: String
        var fitX: [Double] = []
        var fitY: [Double] = []
        var testX: [Double] = []
        /// Per row: issue time (ms) and segment index, for joining rows of one instant.
        var fitKeys: [Double] = []
        var testKeys: [Double] = []
        /// Per test row: actual, ridge, historical average, true state (NaN where unknown).
        var test: [Double] = []
        var testRows: Int { test.count / 4 }
    }

    var columns: [String]
    var cells: [Cell]

    var recentColumn: Int? { columns.firstIndex(of: "recent_level") }

    init(
        data: TrainingData, split: TimeSplit, parameters: ModelParameters, ridge: RidgeForecastModel, average: any ForecastModel,
        truth: [NoisyObservations.TruthKey: (speed: Double?, flow: Double)]
    ) throws {
        let neighborhoods = Dictionary(uniqueKeysWithValues: data.neighborhoods.enumerated().map { ($1, Double($0)) })
        var byName: [String: Cell] = [:]
        _ = try RidgeForecastModel.fit(data, split: split, parameters: parameters) { matrix, _ in
            let parts = matrix.key.split(separator: "|")
            guard parts.count == 3 else { return }
            let name = "\(parts[0])_\(parts[1])"
            let hood = neighborhoods[String(parts[2])] ?? .nan
            var cell = byName[name] ?? Cell(name: name)
            for r in 0..<matrix.x.rows {
                cell.fitX += matrix.x.values[(r * matrix.x.columns)..<((r + 1) * matrix.x.columns)]
                cell.fitX.append(hood)
            }
            cell.fitY += matrix.y
            for row in matrix.issueRows {
                cell.fitKeys += [Double(data.rows[row].timestamp), Double(data.segmentIndex(ofRow: row))]
            }
            byName[name] = cell
        }
        var cells: [Cell] = []
        for target in parameters.targets {
            for horizon in parameters.horizons {
                guard var cell = byName["\(target.rawValue)_\(horizon)"], !cell.fitY.isEmpty else { continue }
                for example in data.examples(in: split.test, target: target, horizonMinutes: horizon) {
                    let input = data.input(example.row)
                    guard let (row, _) = ridge.designRow(input, target: target, horizonMinutes: horizon),
                        let forecast = ridge.predict(input, target: target, horizonMinutes: horizon),
                        let averageForecast = average.predict(input, target: target, horizonMinutes: horizon)
                    else { continue }
                    let key = NoisyObservations.TruthKey(segment: input.segmentID, time: input.issueTime + EpochMillis(horizon) * 60_000)
                    let state = truth[key]
                    cell.testX += row
                    cell.testX.append(neighborhoods[input.neighborhood] ?? .nan)
                    cell.testKeys += [Double(input.issueTime), Double(data.segmentIndex(ofRow: example.row))]
                    cell.test += [example.actual, forecast, averageForecast, (target == .speed ? state?.speed : state?.flow) ?? .nan]
                }
                cells.append(cell)
            }
        }
        self.columns = ridge.designColumns + ["neighborhood"]
        self.cells = cells
    }

    /// Writes every cell as .npy and a meta.json naming the columns, for `scripts/forecast-peer.py`.
    func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let width = columns.count
        for cell in cells {
            func file(_ suffix: String) -> URL { directory.appendingPathComponent("\(cell.name)_\(suffix).npy") }
            try NpyWriter.write(cell.fitX, shape: [cell.fitY.count, width], to: file("fit_x"))
            try NpyWriter.write(cell.fitY, shape: [cell.fitY.count], to: file("fit_y"))
            try NpyWriter.write(cell.testX, shape: [cell.testRows, width], to: file("test_x"))
            try NpyWriter.write(cell.test, shape: [cell.testRows, 4], to: file("test"))
            try NpyWriter.write(cell.fitKeys, shape: [cell.fitY.count, 2], to: file("fit_keys"))
            try NpyWriter.write(cell.testKeys, shape: [cell.testRows, 2], to: file("test_keys"))
        }
        // Per cell, the columns the trainer's trees also read as differences from the recent level.
        func differences(_ cell: String) -> [String] {
            let target: ForecastTarget = cell.hasPrefix(ForecastTarget.speed.rawValue) ? .speed : .flow
            return TreeInputLayout(columnNames: columns, target: target)?.levelColumns.map { columns[$0] } ?? []
        }
        let meta: [String: Any] = [
            "columns": columns,
            "cells": cells.map {
                ["cell": $0.name, "fit_rows": $0.fitY.count, "test_rows": $0.testRows, "differences": differences($0.name)]
            },
        ]
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys, .prettyPrinted])
            .write(to: directory.appendingPathComponent("meta.json"))
        print("design rows exported to \(directory.path) (\(cells.count) cells)")
    }

    /// Fits `BoostedTrees` on each cell's fitting rows (every `stride`-th row when there are more
    /// than `maximumRows`) and prints the test MAE and share of the reducible error of the ridge and
    /// of the trees on the same rows: the Swift counterpart of `scripts/forecast-peer.py --levels-only`.
    func fitTrees(parameters: BoostedTrees.Parameters, maximumRows: Int) throws {
        guard let recent = recentColumn else { return }
        let width = columns.count
        print(
            "boosted trees (\(parameters.loss.rawValue) loss, \(parameters.trees) trees of depth \(parameters.depth)) on the ridge's inputs:"
        )
        for cell in cells {
            let started = Date()
            let stride = max(1, cell.fitY.count / maximumRows)
            var x: [Double] = []
            var y: [Double] = []
            for r in Swift.stride(from: 0, to: cell.fitY.count, by: stride) {
                x += cell.fitX[(r * width)..<((r + 1) * width)]
                y.append(cell.fitY[r])
            }
            let model = try BoostedTrees.fit(x: x, y: y, columns: width, parameters: parameters)
            let seconds = Date().timeIntervalSince(started)
            var ridge = ErrorAccumulator()
            var trees = ErrorAccumulator()
            var average = ErrorAccumulator()
            var floor = ErrorAccumulator()
            cell.testX.withUnsafeBufferPointer { xs in
                for r in 0..<cell.testRows {
                    let row = UnsafeBufferPointer(rebasing: xs[(r * width)..<((r + 1) * width)])
                    let actual = cell.test[4 * r]
                    ridge.add(predicted: cell.test[4 * r + 1], actual: actual)
                    average.add(predicted: cell.test[4 * r + 2], actual: actual)
                    trees.add(predicted: row[recent] + model.predict(row), actual: actual)
                    if cell.test[4 * r + 3].isFinite { floor.add(predicted: cell.test[4 * r + 3], actual: actual) }
                }
            }
            let a = average.mae ?? .nan
            let f = floor.mae ?? .nan
            func share(_ mae: Double?) -> String { String(format: "%.1f", 100 * (a - (mae ?? .nan)) / (a - f)) }
            print(
                "  \(cell.name): \(y.count) rows, ridge \(String(format: "%.3f", ridge.mae ?? .nan)) -> trees "
                    + "\(String(format: "%.3f", trees.mae ?? .nan)); share \(share(ridge.mae)) -> \(share(trees.mae)) %; "
                    + "fit \(String(format: "%.1f", seconds)) s")
        }
    }
}
