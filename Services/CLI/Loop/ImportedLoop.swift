import Foundation

extension LoopRunner {
    /// Phase 1 on real detector history: import, ingest, features, train and evaluate.
    func trainOnImport(
        _ imported: ImportStep, children: ChildProcesses, environment base: [String: String], started: ContinuousClock.Instant
    ) async throws {
        progress(started, "importing \(imported.readings) (detectors: \(imported.mapping)) into raw.loop ...")
        let counts = try imported.run(children: children, brokers: endpoints.kafkaBrokers, environment: base)
        let environment = base.merging(imported.serviceEnvironment) { $1 }
        try children.start("cablecar-ingest", environment: environment.merging(["CABLECAR_HTTP_PORT": "\(Self.ingestPort)"]) { $1 })
        try await waitUntilReady(service: "cablecar-ingest", port: Self.ingestPort, children: children)
        progress(started, "waiting for ingest to account for every raw record ...")
        print(try await IngestProgress(ingestPort: Self.ingestPort).waitUntilCaughtUp())
        progress(started, "waiting for ingest to emit every observation before the feature store starts ...")
        _ = try await IngestEmission(ingestPort: Self.ingestPort).waitUntilSettled()
        let features = try await FeatureStep.start(children: children, environment: environment)
        // Ingest holds back the newest intervals until its watermark passes them (allowed
        // lateness): the store is done once it is within half an hour of the last message.
        progress(started, "waiting for the feature store to catch up with obs.* ...")
        let caughtUp = try await features.waitUntilCaughtUp(reaching: counts.lastEventTime.map { $0 - 30 * 60_000 })
        print(caughtUp.summary)
        let training = TrainingStep(
            environment: environment, groundTruth: nil, materializedFrom: caughtUp.firstStep,
            materializedUntil: caughtUp.lastStep.map { $0 + 5 * 60_000 }, targets: ImportStep.targets(counts))
        try await training.startTrainer(children: children) { try await waitUntilReady(service: $0, port: $1, children: children) }
        let outcome = try await training.train()
        progress(
            started,
            "imported history trained and evaluated (version \(outcome.modelVersion), \(outcome.promoted ? "promoted" : "not promoted")); "
                + "no serving phase on imported data")
    }
}
