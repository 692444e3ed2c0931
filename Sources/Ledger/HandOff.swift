import Foundation

/// Work handed from one of the Ledger's threads to the next, in order: the producer puts each cycle's
/// items (waiting while the consumer is `backlogMax` items behind), the consumer takes everything
/// pending at once. Each item is owned by one side at a time; the hand-over is under the lock.
final class HandOff<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private let backlogMax: Int
    private var producerDone = false
    private var consumerDone = false

    init(backlogMax: Int) { self.backlogMax = backlogMax }

    /// Appends `new` once fewer than `backlogMax` items wait, or at once when `stopWaiting()` says so
    /// (after a failure the consumer may be gone). Consumes `new`, so that the consumer holds the
    /// last references to the items and frees them.
    func put(_ new: consuming [Item], unless stopWaiting: () -> Bool = { false }) {
        condition.lock()
        while items.count >= backlogMax && !stopWaiting() { condition.wait() }
        items.append(contentsOf: new)
        new = []
        condition.broadcast()
        condition.unlock()
    }

    /// Everything pending, waiting for at least one item; nil once the producer has finished and
    /// nothing is left.
    func take() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !producerDone { condition.wait() }
        if items.isEmpty { return nil }
        let taken = items
        items.removeAll(keepingCapacity: true)
        condition.broadcast()  // the producer may wait for room
        return taken
    }

    /// The producer puts nothing more; the consumer's `take` returns nil once it has taken the rest.
    func finishProducing() {
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer has handled its last item.
    func finishConsuming() {
        condition.lock()
        consumerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once the consumer has finished.
    func waitUntilConsumed() {
        condition.lock()
        while !consumerDone { condition.wait() }
        condition.unlock()
    }

    /// Wakes a producer waiting for room (to re-check `stopWaiting`).
    func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
