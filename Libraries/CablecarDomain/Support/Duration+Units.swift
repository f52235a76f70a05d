extension Duration {
    /// The duration in seconds, for figures and metrics.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds (rounded toward zero), saturating instead of overflowing.
    public var inMilliseconds: Int64 { whole(unitsPerSecond: 1000) }

    /// Whole microseconds (rounded toward zero), saturating instead of overflowing.
    public var inMicroseconds: Int64 { whole(unitsPerSecond: 1_000_000) }

    /// Whole nanoseconds (rounded toward zero), saturating instead of overflowing.
    public var inNanoseconds: Int64 { whole(unitsPerSecond: 1_000_000_000) }

    private func whole(unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let saturated: Int64 = seconds < 0 ? .min : .max
        let fromSeconds = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        guard !fromSeconds.overflow else { return saturated }
        let total = fromSeconds.partialValue.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
        return total.overflow ? saturated : total.partialValue
    }
}
