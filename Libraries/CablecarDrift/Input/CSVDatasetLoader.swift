import Foundation

/// Reports progress while reading: (file name, bytes read, total bytes).
public typealias ProgressHandler = @Sendable (String, Int, Int) -> Void

/// A CSV file read into a profile, with what had to be skipped.
public struct LoadedDataset: Sendable {
    public var profile: DatasetProfile
    public var rowCount: Int
    public var features: [FeatureSpec]
    public var warnings: [String]
}

/// Reads a CSV file once, splitting values by group and feature as it goes, then builds the
/// per-group profiles (sorting every numerical column, in parallel across features).
public enum CSVDatasetLoader {
    public struct Options: Sendable {
        /// Treat non-numeric values in numerical columns as missing (and warn) instead of failing.
        public var skipNonNumeric: Bool
        public var mode: ProfileMode

        public init(skipNonNumeric: Bool = false, mode: ProfileMode = .exact) {
            self.skipNonNumeric = skipNonNumeric
            self.mode = mode
        }
    }

    /// - Parameter features: the specs resolved from the other file, so that both sides compare
    ///   the same columns; nil resolves `request` against this file's header.
    public static func load(
        path: String, request: ColumnRequest, features: [FeatureSpec]? = nil,
        options: Options = Options(), progress: ProgressHandler? = nil
    ) async throws(DriftError) -> LoadedDataset {
        let fileName = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch let error {
            throw DriftError(
                .cannotRead, "\(fileName): cannot read the file (\(error.localizedDescription)); check the path and permissions")
        }
        let parsed = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<ParsedColumns, DriftError> in
            Result { () throws(DriftError) -> ParsedColumns in
                try parse(
                    bytes: raw.bindMemory(to: UInt8.self), fileName: fileName, request: request, features: features,
                    options: options, progress: progress)
            }
        }.get()
        return await parsed.profile(fileName: fileName, groupColumn: request.groupColumn, mode: options.mode)
    }

    /// Same, from bytes in memory (used by tests and by callers that already hold the data).
    public static func load(
        csv: Data, fileName: String, request: ColumnRequest, features: [FeatureSpec]? = nil,
        options: Options = Options()
    ) async throws(DriftError) -> LoadedDataset {
        let parsed = try csv.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<ParsedColumns, DriftError> in
            Result { () throws(DriftError) -> ParsedColumns in
                try parse(
                    bytes: raw.bindMemory(to: UInt8.self), fileName: fileName, request: request, features: features,
                    options: options, progress: nil)
            }
        }.get()
        return await parsed.profile(fileName: fileName, groupColumn: request.groupColumn, mode: options.mode)
    }

    static func parse(
        bytes: UnsafeBufferPointer<UInt8>, fileName: String, request: ColumnRequest, features: [FeatureSpec]?,
        options: Options, progress: ProgressHandler?
    ) throws(DriftError) -> ParsedColumns {
        var scanner = CSVScanner(bytes: bytes, fileName: fileName)
        var fields: [FieldSpan] = []
        guard try scanner.nextRecord(into: &fields) != nil else {
            throw DriftError(.emptyInput, "\(fileName): the file is empty; expected a header line naming the columns")
        }
        let header = fields.map { scanner.string($0).trimmingCharacters(in: .whitespaces) }
        let specs: [FeatureSpec]
        if let features { specs = features } else { specs = try request.resolve(header: header, fileName: fileName) }
        var columns = ParsedColumns(specs: specs, header: header)
        for spec in specs where !header.contains(spec.name) {
            throw DriftError(
                .missingColumn, "\(fileName): column '\(spec.name)' not found; the header has: \(header.joined(separator: ", "))")
        }
        if let group = request.groupColumn, !header.contains(group) {
            throw DriftError(
                .missingColumn, "\(fileName): group column (--by) '\(group)' not found; the header has: \(header.joined(separator: ", "))")
        }
        let groupIndex = request.groupColumn.flatMap { header.firstIndex(of: $0) }
        let numericIndices = columns.numericSpecs.map { spec in header.firstIndex(of: spec.name) ?? 0 }
        let categoricalIndices = columns.categoricalSpecs.map { spec in header.firstIndex(of: spec.name) ?? 0 }
        let total = bytes.count
        var nextProgress = 1 << 23
        guard let base = bytes.baseAddress else {
            throw DriftError(.emptyInput, "\(fileName): the file is empty; expected a header line naming the columns")
        }
        while let line = try scanner.nextRecord(into: &fields) {
            if fields.count != header.count {
                throw DriftError(
                    .malformedCSV,
                    "\(fileName):\(line): \(fields.count) fields, but the header has \(header.count); check for an unquoted comma or a missing value"
                )
            }
            let group: Int
            if let groupIndex {
                let f = fields[groupIndex]
                group =
                    f.hasEscapedQuotes
                    ? columns.group(named: scanner.string(f))
                    : columns.group(base + f.start, count: f.end - f.start)
            } else {
                group = columns.group(named: ColumnRequest.allRowsGroup)
            }
            columns.groupRows[group] += 1
            for (k, index) in numericIndices.enumerated() {
                let f = fields[index]
                switch NumberParser.parse(base + f.start, count: f.end - f.start) {
                case .value(let v):
                    columns.numeric[k].values[group].append(v)
                case .missing:
                    columns.numeric[k].missing[group] += 1
                case .invalid:
                    columns.numeric[k].missing[group] += 1
                    columns.numeric[k].recordInvalid(line: line, text: scanner.string(f))
                }
            }
            for (k, index) in categoricalIndices.enumerated() {
                let f = fields[index]
                let text = base + f.start
                let length = f.end - f.start
                if length == 0 {
                    columns.categorical[k].missing[group] += 1
                } else if f.hasEscapedQuotes {
                    let label = Array(scanner.string(f).utf8)
                    label.withUnsafeBufferPointer { buffer in
                        if let p = buffer.baseAddress { columns.categorical[k].count(p, length: buffer.count, group: group) }
                    }
                } else {
                    columns.categorical[k].count(text, length: length, group: group)
                }
            }
            columns.rowCount += 1
            if let progress, scanner.position >= nextProgress {
                progress(fileName, scanner.position, total)
                nextProgress = scanner.position + (1 << 23)
            }
        }
        progress?(fileName, total, total)
        if columns.rowCount == 0 {
            throw DriftError(.emptyInput, "\(fileName): the file has a header but no data rows")
        }
        let invalid = columns.numeric.filter { $0.invalidCount > 0 }
        if !invalid.isEmpty {
            let details = invalid.map { column in
                let examples = column.invalidExamples.map { "line \($0.line): \"\($0.text)\"" }.joined(separator: ", ")
                return
                    "\(column.invalidCount) in numerical column '\(column.name)' (\(examples)\(column.invalidCount > column.invalidExamples.count ? ", …" : ""))"
            }
            let summary = "\(fileName): non-numeric values: \(details.joined(separator: "; "))"
            if options.skipNonNumeric {
                columns.warnings.append(summary + "; skipped as missing")
            } else {
                throw DriftError(
                    .nonNumeric,
                    summary + ". Fix the data, mark the column with --categorical, or pass --skip-non-numeric to treat them as missing")
            }
        }
        return columns
    }
}
