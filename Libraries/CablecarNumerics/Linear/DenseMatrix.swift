/// A row-major matrix of doubles: the layout design matrices are built in (one row per
/// training example) and handed to BLAS without copying.
public struct DenseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// `values[r * columns + c]`.
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw NumericsError.invalidInput(
                "matrix of \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeroRows rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        self.values = Array(repeating: 0, count: rows * columns)
    }

    /// Builds a matrix from rows of equal length.
    public init(rowArrays: [[Double]]) throws {
        let columns = rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * columns)
        for (index, row) in rowArrays.enumerated() {
            guard row.count == columns else {
                throw NumericsError.invalidInput("row \(index) has \(row.count) values, expected \(columns)")
            }
            values.append(contentsOf: row)
        }
        try self.init(rows: rowArrays.count, columns: columns, values: values)
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }
}
