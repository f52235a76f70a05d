import Foundation
import Testing

@testable import CablecarDrift

/// Writes CSV text to a fresh temporary file.
func temporaryCSV(_ text: String, name: String = "data.csv") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cablecar-drift-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// A valid reference file with two neighborhoods.
func referenceCSV(rows: Int = 40, seed: UInt64 = 1) -> String {
    var rng = SplitMix64(seed: seed)
    var text = "neighborhood,speed,flow,weather\n"
    for i in 0..<rows {
        text +=
            "\(i % 2 == 0 ? "Mission" : "SoMa"),\(40 + rng.normalish()),\(900 + 50 * rng.normalish()),\(rng.uniform() < 0.5 ? "sun" : "rain")\n"
    }
    return text
}

@Suite("Bad input gives a clear error, a location and an exit code")
struct CSVInputTests {
    func run(
        reference: String, current: String, features: [String]? = nil, categorical: [String] = ["weather"],
        skip: Bool = false, output: String? = nil
    ) async throws(DriftError) -> DriftReport {
        try await DriftCompareRunner.run(
            .init(
                referencePath: reference, currentPath: current,
                columns: ColumnRequest(groupColumn: "neighborhood", features: features, categorical: categorical),
                format: .json, outputPath: output, skipNonNumeric: skip, showProgress: false)
        ).report
    }

    func expectError(_ kind: DriftError.Kind, exit: Int32, containing parts: [String], _ body: () async throws(DriftError) -> Void) async {
        do {
            try await body()
            Issue.record("expected a \(kind) error")
        } catch {
            #expect(error.kind == kind, "\(error.message)")
            #expect(error.exitCode == exit)
            for part in parts { #expect(error.message.contains(part), "message '\(error.message)' lacks '\(part)'") }
        }
    }

    @Test func wrongFieldCountNamesFileAndLine() async throws {
        let ref = try temporaryCSV(referenceCSV())
        let cur = try temporaryCSV("neighborhood,speed,flow,weather\nMission,40,900,sun\nSoMa,41,910\n", name: "current.csv")
        await expectError(.malformedCSV, exit: 65, containing: ["current.csv:3:", "3 fields", "header has 4"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: cur)
        }
    }

    @Test func unterminatedQuoteNamesTheLineItStarts() async throws {
        let ref = try temporaryCSV(referenceCSV())
        let cur = try temporaryCSV(
            "neighborhood,speed,flow,weather\nMission,40,900,sun\n\"SoMa,41,910,rain\nBayview,1,2,fog\n", name: "current.csv")
        await expectError(.malformedCSV, exit: 65, containing: ["current.csv:3:", "unterminated"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: cur)
        }
    }

    @Test func strayQuoteIsReported() async throws {
        let ref = try temporaryCSV(referenceCSV())
        let cur = try temporaryCSV("neighborhood,speed,flow,weather\nMiss\"ion,40,900,sun\n", name: "current.csv")
        await expectError(.malformedCSV, exit: 65, containing: ["current.csv:2:", "stray quote"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: cur)
        }
    }

    @Test func missingColumnsAreNamed() async throws {
        let ref = try temporaryCSV(referenceCSV(), name: "reference.csv")
        let cur = try temporaryCSV("neighborhood,speed,weather\nMission,40,sun\n", name: "current.csv")
        await expectError(.missingColumn, exit: 65, containing: ["current.csv", "'flow' not found", "neighborhood, speed, weather"]) {
            () throws(DriftError) in
            _ = try await run(reference: ref, current: cur)
        }
        await expectError(.missingColumn, exit: 65, containing: ["reference.csv", "'lanes' not found"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: cur, features: ["speed", "lanes"])
        }
        let noGroup = try temporaryCSV("area,speed\nx,1\n", name: "nogroup.csv")
        await expectError(.missingColumn, exit: 65, containing: ["nogroup.csv", "group column (--by) 'neighborhood'"]) {
            () throws(DriftError) in
            _ = try await run(reference: noGroup, current: noGroup)
        }
    }

    @Test func nonNumericValuesAreCountedWithTheirLines() async throws {
        let ref = try temporaryCSV(referenceCSV())
        let cur = try temporaryCSV(
            "neighborhood,speed,flow,weather\nMission,fast,900,sun\nSoMa,41,910,rain\nSoMa,4x1,NA,rain\nMission,,1e3,sun\n",
            name: "current.csv")
        await expectError(
            .nonNumeric, exit: 65,
            containing: ["current.csv", "2 in numerical column 'speed'", "line 2: \"fast\"", "line 4: \"4x1\"", "--skip-non-numeric"]
        ) { () throws(DriftError) in
            _ = try await run(reference: ref, current: cur)
        }
        let report = try await run(reference: ref, current: cur, skip: true)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("skipped as missing") == true)
        let mission = report.groups.first { $0.group == "Mission" }
        let speed = mission?.features.first { $0.feature == "speed" }
        #expect(speed?.currentMissing == 2)  // "fast" skipped, blank is missing
    }

    @Test func emptyInputs() async throws {
        let ref = try temporaryCSV(referenceCSV())
        let empty = try temporaryCSV("", name: "empty.csv")
        await expectError(.emptyInput, exit: 65, containing: ["empty.csv", "empty"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: empty)
        }
        let headerOnly = try temporaryCSV("neighborhood,speed,flow,weather\n", name: "header.csv")
        await expectError(.emptyInput, exit: 65, containing: ["header.csv", "no data rows"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: headerOnly)
        }
        await expectError(.cannotRead, exit: 66, containing: ["/nonexistent/ref.csv"]) { () throws(DriftError) in
            _ = try await run(reference: "/nonexistent/ref.csv", current: ref)
        }
        await expectError(.cannotWrite, exit: 73, containing: ["/nonexistent/dir/report.json"]) { () throws(DriftError) in
            _ = try await run(reference: ref, current: ref, output: "/nonexistent/dir/report.json")
        }
    }

    @Test func degenerateCasesAreReportedNotInvented() async throws {
        var text = "neighborhood,speed,flow,weather\n"
        for i in 0..<30 { text += "Mission,50,\(900 + i),sun\n" }
        text += "Sunset,40,900,fog\nSunset,41,901,fog\n"
        let ref = try temporaryCSV(text, name: "reference.csv")
        var curText = "neighborhood,speed,flow,weather\n"
        for i in 0..<30 { curText += "Mission,50,\(905 + i),sun\n" }
        curText += "Sunset,40,900,fog\nSunset,44,901,fog\nBayview,1,2,sun\n"
        let cur = try temporaryCSV(curText, name: "current.csv")
        let report = try await run(reference: ref, current: cur)
        let mission = try #require(report.groups.first { $0.group == "Mission" })
        let speed = try #require(mission.features.first { $0.feature == "speed" })
        #expect(speed.notes.contains { $0.contains("constant in the reference") })
        #expect(speed.pValue == 1)
        let sunset = try #require(report.groups.first { $0.group == "Sunset" })
        #expect(
            sunset.features.allSatisfy { $0.status == .insufficientData && $0.pValue == nil && $0.statistic == nil && $0.drifted == nil })
        #expect(sunset.driftShare == nil)
        #expect(sunset.features.first?.notes.first?.contains("too few values") == true)
        let bayview = try #require(report.groups.first { $0.group == "Bayview" })
        #expect(bayview.status == .onlyInCurrent)
        #expect(bayview.drifted == nil)
        #expect(report.groups.last?.group == "Bayview")
    }

    @Test func quotedFieldsCRLFAndBlankLinesParse() async throws {
        let csv = "neighborhood,speed,note\r\n\"Mission, North\",\"4.5\",\"said \"\"hi\"\"\"\r\n\r\nSoMa,5,\"two\nlines\"\r\n"
        let loaded = try await CSVDatasetLoader.load(
            csv: Data(csv.utf8), fileName: "q.csv",
            request: ColumnRequest(groupColumn: "neighborhood", categorical: ["note"]))
        #expect(Set(loaded.profile.groups.keys) == ["Mission, North", "SoMa"])
        guard case .categorical(let note)? = loaded.profile.groups["Mission, North"]?.features["note"] else {
            Issue.record("note should be categorical")
            return
        }
        #expect(note.counts == ["said \"hi\"": 1])
        guard case .numerical(let speed)? = loaded.profile.groups["SoMa"]?.features["speed"] else {
            Issue.record("speed should be numerical")
            return
        }
        #expect(speed.sorted == [5])
        // A malformed line after a multi-line field still gets its physical line number.
        let bad = csv + "Sunset,1\n"
        do {
            _ = try await CSVDatasetLoader.load(csv: Data(bad.utf8), fileName: "q.csv", request: ColumnRequest(groupColumn: "neighborhood"))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("q.csv:6:"), "\(error.message)")
        }
    }

    @Test(arguments: [
        ("3.25", NumberParser.Parsed.value(3.25)), ("-0.5", .value(-0.5)), ("1e3", .value(1000)), (" 7 ", .value(7)),
        ("2.5E-3", .value(0.0025)), ("12345678901234567890123", .value(12345678901234567890123.0)),
        ("0.1234567890123456789012", .value(0.1234567890123456789012)), ("", .missing), ("NA", .missing), ("nan", .missing),
        ("-inf", .missing), ("abc", .invalid), ("1.2.3", .invalid), ("1e", .invalid), ("--1", .invalid), ("0x10", .invalid),
    ])
    func numbersParseLikeDouble(text: String, expected: NumberParser.Parsed) {
        let bytes = Array(text.utf8) + [0]
        let parsed = bytes.withUnsafeBufferPointer { NumberParser.parse($0.baseAddress!, count: bytes.count - 1) }
        #expect(parsed == expected, "\(text)")
    }
}
