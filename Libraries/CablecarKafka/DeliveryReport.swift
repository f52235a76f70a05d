/// Where a message landed: the broker acknowledged it at this partition and offset.
public struct DeliveryReport: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}

/// What a producer has seen since it started. `failed` counts messages whose delivery
/// failed for good (after librdkafka's own retries).
public struct ProducerStatistics: Sendable, Equatable {
    public var enqueued: Int
    public var delivered: Int
    public var failed: Int
}
