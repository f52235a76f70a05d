/// Names raw partitions "topic:partition" (the key of watermarks and ledger ranges) without
/// building and hashing a string per message: a batch is runs of one partition's messages, so
/// the name of the previous message's partition is kept and reused while it matches.
struct PartitionNamer {
    private var topic = ""
    private var partition: Int32 = -1
    private var name = ""

    mutating func name(topic: String, partition: Int32) -> String {
        if partition != self.partition || topic != self.topic {
            self.topic = topic
            self.partition = partition
            name = "\(topic):\(partition)"
        }
        return name
    }

    /// The distinct partitions of `positions`, each once, keyed by name.
    static func partitions(of positions: [MessagePosition]) -> [String: (topic: String, partition: Int32)] {
        var namer = PartitionNamer()
        var result: [String: (topic: String, partition: Int32)] = [:]
        var previous = ""
        for position in positions {
            let name = namer.name(topic: position.topic, partition: position.partition)
            // Same string storage as the previous message's: no lookup needed.
            if name == previous { continue }
            previous = name
            result[name] = (position.topic, position.partition)
        }
        return result
    }
}
