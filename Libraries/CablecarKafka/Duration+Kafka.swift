extension Duration {
    /// The duration as librdkafka's timeout argument: whole milliseconds, clamped to `Int32`
    /// (about 24 days) and to zero below.
    var kafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int32.max) / 1000 else { return .max }
        return Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
