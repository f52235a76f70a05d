/// Why a numerical routine could not produce a result.
public enum NumericsError: Error, Equatable, CustomStringConvertible {
    /// The inputs do not fit together (a row of the wrong length, no rows, a negative penalty).
    case invalidInput(String)
    /// LAPACK reported a failure; `info` is its return code.
    case lapackFailure(routine: String, info: Int32)

    public var description: String {
        switch self {
        case .invalidInput(let reason):
            return "invalid numerical input: \(reason)"
        case .lapackFailure(let routine, let info):
            return "LAPACK \(routine) failed with info \(info): the system is singular or not positive definite; "
                + "use a positive ridge penalty or drop constant features"
        }
    }
}
