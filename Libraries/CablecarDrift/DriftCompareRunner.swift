import Foundation

/// Everything `cablecar drift compare` does, as a library call: read both files (in parallel),
/// compare per group, render, and write the output. The CLI only parses flags into `Options`.
public enum DriftCompareRunner {
    public struct Options: Sendable {
        public var referencePath: String
        public var currentPath: String
        public var columns: ColumnRequest
        public var format: ReportFormat
        /// nil writes to standard output.
        public var outputPath: String?
        public var skipNonNumeric: Bool
        /// Show progress on standard error; nil decides by whether standard error is a terminal
        /// (or `CABLECAR_PROGRESS=1` is set).
        public var showProgress: Bool?
        public var configuration: DriftConfiguration

        public init(
            referencePath: String, currentPath: String, columns: ColumnRequest, format: ReportFormat = .table,
            outputPath: String? = nil, skipNonNumeric: Bool = false, showProgress: Bool? = nil,
            configuration: DriftConfiguration = DriftConfiguration()
        ) {
            self.referencePath = referencePath
            self.currentPath = currentPath
            self.columns = columns
            self.format = format
            self.outputPath = outputPath
            self.skipNonNumeric = skipNonNumeric
            self.showProgress = showProgress
            self.configuration = configuration
        }
    }

    /// Runs the comparison and returns the report with its rendering (already written to
    /// `outputPath` when one was given).
    public static func run(_ options: Options) async throws(DriftError) -> (report: DriftReport, output: String) {
        let report = try await compare(options)
        let output = try options.format.render(report)
        if let path = options.outputPath {
            do {
                try Data(output.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch let error {
                throw DriftError(
                    .cannotWrite,
                    "\(path): cannot write the report (\(error.localizedDescription)); check the directory exists and is writable")
            }
        }
        return (report, output)
    }

    public static func compare(_ options: Options) async throws(DriftError) -> DriftReport {
        if let path = options.outputPath, FileManager.default.fileExists(atPath: path), !FileManager.default.isWritableFile(atPath: path) {
            throw DriftError(.cannotWrite, "\(path): the output file is not writable")
        }
        let progress = progressHandler(options.showProgress)
        let loadOptions = CSVDatasetLoader.Options(skipNonNumeric: options.skipNonNumeric)
        // Resolve columns against the reference header first, so both sides compare the same features.
        let header = try readHeader(options.referencePath)
        let specs = try options.columns.resolve(header: header, fileName: options.referencePath)
        let columns = options.columns
        async let referenceLoad = loadResult(options.referencePath, columns, specs, loadOptions, progress)
        async let currentLoad = loadResult(options.currentPath, columns, specs, loadOptions, progress)
        let (referenceResult, currentResult) = await (referenceLoad, currentLoad)
        let reference = try referenceResult.get()
        let current = try currentResult.get()
        return await DriftComparison.compare(
            reference: reference.profile, current: current.profile, features: specs,
            configuration: options.configuration,
            referenceName: options.referencePath, currentName: options.currentPath,
            warnings: reference.warnings + current.warnings)
    }

    private static func loadResult(
        _ path: String, _ columns: ColumnRequest, _ specs: [FeatureSpec],
        _ options: CSVDatasetLoader.Options, _ progress: ProgressHandler?
    ) async -> Result<LoadedDataset, DriftError> {
        do {
            return .success(
                try await CSVDatasetLoader.load(path: path, request: columns, features: specs, options: options, progress: progress))
        } catch {
            return .failure(error)
        }
    }

    /// The first record of a file, for resolving columns before the full read.
    static func readHeader(_ path: String) throws(DriftError) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw DriftError(.cannotRead, "\(path): cannot open the file; check its permissions")
            }
            throw DriftError(.cannotRead, "\(path): no such file; check the path")
        }
        defer { try? handle.close() }
        var data = Data()
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            data.append(chunk)
            if chunk.contains(UInt8(ascii: "\n")) { break }
        }
        let header = data.withUnsafeBytes { raw -> Result<[String], DriftError> in
            var scanner = CSVScanner(bytes: raw.bindMemory(to: UInt8.self), fileName: path)
            var fields: [FieldSpan] = []
            return Result { () throws(DriftError) -> [String] in
                guard try scanner.nextRecord(into: &fields) != nil else {
                    throw DriftError(.emptyInput, "\(path): the file is empty; expected a header line naming the columns")
                }
                return fields.map { scanner.string($0).trimmingCharacters(in: .whitespaces) }
            }
        }
        return try header.get()
    }

    static func progressHandler(_ requested: Bool?) -> ProgressHandler? {
        let show = requested ?? (isatty(STDERR_FILENO) == 1 || ProcessInfo.processInfo.environment["CABLECAR_PROGRESS"] == "1")
        guard show else { return nil }
        return { file, done, total in
            let percent = total > 0 ? done * 100 / total : 100
            let text = "\rreading \(file): \(percent)% (\(done >> 20) of \(total >> 20) MiB)" + (done >= total ? "\n" : "")
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
