import CablecarDomain
import CablecarForecasting
import Foundation
import Testing

@Suite struct ForecastingModelTests {
    static let snapshot = SyntheticSnapshot.make()

    func fitAll(_ snapshot: FeatureSnapshot, parameters: ModelParameters = ModelParameters()) throws
        -> (TrainingData, TimeSplit, RidgeForecastModel, HistoricalAverageModel, PersistenceModel)
    {
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (
            data, split, try RidgeForecastModel.fit(data, split: split, parameters: parameters),
            try HistoricalAverageModel.fit(data, split: split, parameters: parameters),
            try PersistenceModel.fit(data, split: split, parameters: parameters)
        )
    }

    @Test func splitIsChronologicalOnWholeDays() throws {
        let data = try TrainingData(snapshot: Self.snapshot)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        #expect(split.train.upperBound == split.validation.lowerBound)
        #expect(split.validation.upperBound == split.test.lowerBound)
        #expect(split.train.lowerBound == data.start && split.test.upperBound == data.end)
        #expect((split.validation.lowerBound - data.start) % 86_400_000 == 0)
        // Examples never reach across a period boundary.
        for example in data.examples(in: split.train, target: .speed, horizonMinutes: 60) {
            #expect(data.rows[example.labelRow].timestamp < split.train.upperBound)
        }
    }

    @Test func ridgeBeatsBothBaselinesOnHeldOutTime() throws {
        let (data, split, ridge, average, persistence) = try fitAll(Self.snapshot)
        let report = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [(.candidate, ridge), (.historicalAverage, average), (.persistence, persistence)],
            targets: [.speed, .flow], horizons: [15, 30, 60])
        print(EvaluationTable.render(report))
        for target in [ForecastTarget.speed, .flow] {
            for horizon in [15, 30, 60] {
                let candidate = try #require(report.errors(.candidate, target, horizon)?.mae)
                let ha = try #require(report.errors(.historicalAverage, target, horizon)?.mae)
                let last = try #require(report.errors(.persistence, target, horizon)?.mae)
                #expect(candidate < ha * 0.98, "\(target) h\(horizon): ridge \(candidate) vs HA \(ha)")
                #expect(candidate < last * 0.98, "\(target) h\(horizon): ridge \(candidate) vs persistence \(last)")
            }
        }
        // Penalties come from the grid, chosen per (target, horizon, neighborhood).
        #expect(ridge.selections.count == 2 * 3 * 3)
        #expect(ridge.selections.values.allSatisfy { ModelParameters().penaltyGrid.contains($0.penalty) })
    }

    @Test func sameDataAndParametersGiveTheSameArtifactBytes() throws {
        let first = try fitAll(Self.snapshot).2.artifact()
        let second = try fitAll(SyntheticSnapshot.make()).2.artifact()
        #expect(ArtifactCodec.sha256Hex(first) == ArtifactCodec.sha256Hex(second))
        let other = try fitAll(SyntheticSnapshot.make(seed: 8)).2.artifact()
        #expect(ArtifactCodec.sha256Hex(first) != ArtifactCodec.sha256Hex(other))
    }

    /// The trainer fits its cells on every core unless an inspector wants them one by one; the
    /// model must not depend on which.
    @Test func cellsFittedOnEveryCoreGiveTheSameArtifactAsOneByOne() throws {
        let (data, split, ridge, _, _) = try fitAll(Self.snapshot)
        var inspected = 0
        let oneByOne = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters()) { _, _ in inspected += 1 }
        #expect(inspected == ridge.solutions.count + ridge.fallbackSolutions.count)
        #expect(try oneByOne.artifact() == ridge.artifact())
    }

    @Test func artifactsRoundTripToIdenticalPredictions() throws {
        let (data, split, ridge, average, persistence) = try fitAll(Self.snapshot)
        let ridgeBack = try RidgeForecastModel.load(artifact: ridge.artifact())
        let averageBack = try HistoricalAverageModel.load(artifact: average.artifact())
        let persistenceBack = try PersistenceModel.load(artifact: persistence.artifact())
        #expect(try ridgeBack.artifact() == ridge.artifact())
        let examples = data.examples(in: split.test, target: .speed, horizonMinutes: 30).prefix(200)
        for example in examples {
            let input = data.input(example.row)
            #expect(
                ridgeBack.predict(input, target: .speed, horizonMinutes: 30) == ridge.predict(input, target: .speed, horizonMinutes: 30))
            #expect(
                averageBack.predict(input, target: .flow, horizonMinutes: 30) == average.predict(input, target: .flow, horizonMinutes: 30))
            #expect(
                persistenceBack.predict(input, target: .speed, horizonMinutes: 30)
                    == persistence.predict(input, target: .speed, horizonMinutes: 30))
        }
        #expect(try ArtifactCodec.kind(of: ridge.artifact()) == "ridge")
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: average.artifact()) }
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: Array("not json".utf8)) }
    }

    @Test func missingFeaturesAreImputedAndUnknownSegmentsStillGetAForecast() throws {
        let (data, _, ridge, _, persistence) = try fitAll(Self.snapshot)
        var input = data.input(500)
        input.features = [nil, nil, nil]
        input.lastSpeedKmh = nil
        let imputed = try #require(ridge.predict(input, target: .speed, horizonMinutes: 15))
        #expect(imputed.isFinite && imputed > 10 && imputed < 90)
        input.segmentID = "unknown"
        input.neighborhood = "Nowhere"
        #expect(ridge.predict(input, target: .speed, horizonMinutes: 15)?.isFinite == true)
        #expect(persistence.predict(input, target: .speed, horizonMinutes: 15)?.isFinite == true)
    }

    /// A feature that exists in a sliver of the fitting period (a week-ago value in the first hours
    /// of a second week) is not used: its coefficient, fitted on those few rows, would otherwise
    /// apply to every served row once the feature exists everywhere.
    @Test func aFeatureRarelyPresentWhileFittingIsNotUsed() throws {
        var snapshot = SyntheticSnapshot.make(days: 14)
        snapshot.featureNames.append("speed_kmh_last_week")
        snapshot.featureVersions["speed_kmh_last_week"] = 1
        let cutoff = snapshot.request.start + 10 * 86_400_000 - 6 * 3_600_000
        for index in snapshot.rows.indices {
            let row = snapshot.rows[index]
            // Present (and telling: the current speed) only in the six hours before `cutoff`.
            let present = row.timestamp >= cutoff && row.timestamp < cutoff + 6 * 3_600_000
            snapshot.rows[index].values.append(present ? row.actualSpeedKmh : nil)
        }
        let (data, _, ridge, _, _) = try fitAll(snapshot)
        let reloaded = try RidgeForecastModel.load(artifact: try ridge.artifact())
        var input = data.input(snapshot.rows.count - 40)
        let absent = try #require(ridge.predict(input, target: .speed, horizonMinutes: 15))
        for value in [0.0, 30, 200] {
            input.features[3] = value
            #expect(ridge.predict(input, target: .speed, horizonMinutes: 15) == absent)
            #expect(reloaded.predict(input, target: .speed, horizonMinutes: 15) == absent)
        }
        // A feature present in most rows still moves the forecast.
        input.features[2] = (input.features[2] ?? 50) + 10
        #expect(ridge.predict(input, target: .speed, horizonMinutes: 15) != absent)
    }

    @Test func invalidParametersAndSnapshotsAreRejected() throws {
        var parameters = ModelParameters()
        parameters.horizons = [7]
        #expect(throws: ForecastingError.self) { try parameters.validate() }
        parameters = ModelParameters(penaltyGrid: [])
        #expect(throws: ForecastingError.self) { try parameters.validate() }
        var snapshot = Self.snapshot
        snapshot.rows[3].values = [1]
        #expect(throws: ForecastingError.self) { try TrainingData(snapshot: snapshot) }
        snapshot.rows = []
        #expect(throws: ForecastingError.self) { try TrainingData(snapshot: snapshot) }
    }
}

/// The main job trains on one week and serves the next: every time-of-week slot then holds a
/// single observation. Training rows, whose own label is left out, saw the segment mean there;
/// served rows were given the single observation, and the model, fitted to correct the one,
/// scored like the historical average in serving (two to eleven times its test error). The
/// trainer now fits one solution per regime (a slot average of other observations, or none)
/// and a forecast uses the one fitted on rows like it.
@Suite struct ServedAfterTrainingTests {
    static let day: EpochMillis = 86_400_000
    static let full = SyntheticSnapshot.make(days: 16)

    static func slice(_ range: Range<EpochMillis>) throws -> TrainingData {
        let request = SnapshotRequest(start: range.lowerBound, end: range.upperBound)
        return try TrainingData(
            snapshot: FeatureSnapshot(
                fingerprint: "\(full.fingerprint)-\(range)", request: request, featureNames: full.featureNames,
                featureVersions: full.featureVersions, rows: full.rows.filter { range.contains($0.timestamp) }))
    }

    /// Trained on `days` from the first Monday; scored on the two days after.
    static func served(days: Int) throws -> (RidgeForecastModel, EvaluationReport) {
        let monday = SyntheticSnapshot.monday
        let window = try slice(monday..<(monday + EpochMillis(days) * day))
        let parameters = ModelParameters()
        let split = try TimeSplit(
            start: window.start, end: window.end, stepMillis: window.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        let ridge = try RidgeForecastModel.fit(window, split: split, parameters: parameters)
        let average = try HistoricalAverageModel.fit(window, split: split, parameters: parameters)
        let start = monday + EpochMillis(days) * day
        let report = ModelEvaluator.evaluate(
            data: try slice((start - day)..<(start + 2 * day)), period: start..<(start + 2 * day),
            models: [(.candidate, ridge), (.historicalAverage, average)], targets: [.speed, .flow], horizons: [15, 60])
        return (ridge, report)
    }

    @Test func aOneWeekModelHasOnlyTheRegimeItCanServeConsistently() throws {
        let (ridge, _) = try Self.served(days: 7)
        // Every slot holds one observation: leave-one-out, no training row had a slot average.
        #expect(ridge.solutions.isEmpty)
        #expect(ridge.fallbackSolutions.count == ridge.targets.count * ridge.horizons.count * 3)
    }

    /// Two weeks: weekday slots have an average of the other week, the weekend of week one
    /// does not; the days served (Monday and Tuesday) get the regime fitted on rows like them. (The
    /// synthetic features carry no daily profile of their own, so a one-week model, which must
    /// rebuild the profile from them, is no match for the historical average here; the main
    /// job's features include the same interval yesterday and a week ago.)
    @Test func theDaysAfterTwoWeeksBeatTheHistoricalAverage() throws {
        let (ridge, report) = try Self.served(days: 14)
        #expect(!ridge.solutions.isEmpty && !ridge.fallbackSolutions.isEmpty)
        for target in [ForecastTarget.speed, .flow] {
            for horizon in [15, 60] {
                let delivered = try #require(report.errors(.candidate, target, horizon)?.mae)
                let baseline = try #require(report.errors(.historicalAverage, target, horizon)?.mae)
                #expect(delivered < baseline * 0.98, "\(target) h\(horizon): served \(delivered), historical average \(baseline)")
            }
        }
    }
}

/// Artifacts reach the forecast service through the registry, where any MLflow client can log
/// one: a damaged or hand-made artifact must be refused on load, never read out of bounds.
@Suite struct DamagedArtifactTests {
    static let ridge: [UInt8] = {
        let data = try? TrainingData(snapshot: SyntheticSnapshot.make(days: 8))
        guard let data,
            let split = try? TimeSplit(
                start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15),
            let model = try? RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(penaltyGrid: [1]))
        else { return [] }
        return (try? model.artifact()) ?? []
    }()

    /// The artifact with `edit` applied to its decoded JSON body.
    func damaged(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var envelope = try #require(try JSONSerialization.jsonObject(with: Data(Self.ridge)) as? [String: Any])
        var body = try #require(envelope["body"] as? [String: Any])
        edit(&body)
        envelope["body"] = body
        return Array(try JSONSerialization.data(withJSONObject: envelope))
    }

    static func packed(_ values: [Double]) -> String {
        Data(values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }).base64EncodedString()
    }

    @Test func theUndamagedArtifactLoads() throws {
        #expect(!Self.ridge.isEmpty)
        _ = try RidgeForecastModel.load(artifact: try damaged { _ in })
    }

    @Test(arguments: [
        "short week slots", "short segment means", "duplicate segment", "extra coefficient", "short imputation", "indicator out of range",
        "short profiles", "unknown time zone", "recent level out of range",
    ])
    func damageIsRefusedWithAReason(_ damage: String) throws {
        let artifact = try damaged { body in
            var tables = body["historical_average"] as? [String: Any] ?? [:]
            var speed = tables["speed_kmh"] as? [String: Any] ?? [:]
            var design = body["design"] as? [String: Any] ?? [:]
            let solutions = body["solutions"] as? [String: Any] ?? [:]
            switch damage {
            case "short week slots": speed["slot_means"] = Self.packed([1, 2, 3])
            case "short segment means": speed["segment_means"] = Self.packed([1])
            case "duplicate segment":
                let segments = speed["segments"] as? [String] ?? []
                speed["segments"] = segments.map { _ in segments.first ?? "x" }
            case "extra coefficient":
                // A one-week model has only solutions for slots without an average of their own.
                var fallbacks = body["solutions_without_slot_average"] as? [String: Any] ?? [:]
                if let key = fallbacks.keys.sorted().first, var solution = fallbacks[key] as? [String: Any] {
                    solution["coefficients"] = (solution["coefficients"] as? [Double] ?? []) + [1]
                    fallbacks[key] = solution
                }
                body["solutions_without_slot_average"] = fallbacks
            case "short imputation": design["imputation"] = Self.packed([0])
            case "short profiles": speed["profile_means"] = Self.packed([1, 2])
            case "unknown time zone": speed["time_zone"] = "Nowhere/Atlantis"
            case "recent level out of range": design["recent_level_features"] = ["speed_kmh": 10_000]
            default: design["indicator_features"] = [10_000]
            }
            tables["speed_kmh"] = speed
            body["historical_average"] = tables
            body["design"] = design
            body["solutions"] = solutions
        }
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: artifact) }
    }
}
