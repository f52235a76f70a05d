import CablecarKafka

/// Hands fetched batches to the pipeline one at a time, and wakes the pipeline with a tick when
/// nothing arrives: the availability clock must be able to move (idle partitions stop holding
/// it back) and finish the newest steps even when the stream pauses.
actor BatchMailbox {
    enum Event: Sendable {
        case batch([KafkaMessage])
        case tick
        case end
    }

    private var slot: [KafkaMessage]?
    private var finished = false
    private var taker: CheckedContinuation<Event, Never>?
    private var putters: [CheckedContinuation<Void, Never>] = []

    /// Waits until the pipeline took the previous batch (one batch of prefetch, no more).
    func put(_ batch: [KafkaMessage]) async {
        while slot != nil && !finished {
            await withCheckedContinuation { putters.append($0) }
        }
        guard !finished else { return }
        if let taker {
            self.taker = nil
            taker.resume(returning: .batch(batch))
        } else {
            slot = batch
        }
    }

    /// Wakes an idle pipeline; ignored while it is busy (it will look again after the batch).
    func tick() {
        guard let taker else { return }
        self.taker = nil
        taker.resume(returning: .tick)
    }

    /// No more batches (consumer closed); also releases anyone waiting.
    func finish() {
        finished = true
        taker?.resume(returning: .end)
        taker = nil
        for putter in putters { putter.resume() }
        putters.removeAll()
    }

    func next() async -> Event {
        if let batch = slot {
            slot = nil
            if !putters.isEmpty { putters.removeFirst().resume() }
            return .batch(batch)
        }
        if finished { return .end }
        return await withCheckedContinuation { taker = $0 }
    }
}
