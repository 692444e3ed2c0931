import Synchronization

/// Values remembered by key, bounded: at `entriesMax` the memory starts over (what it held is read
/// again on demand). What goes in is the caller's rule — SSO session rows, which never change once
/// written (``ProjectionStore/session(_:)``); grants as the Ledger's decisions computed them and
/// every decided grant event changed them (`GrantMemory`). Callers store only keys that exist, so
/// that unknown keys sent by clients cannot fill it.
public final class BoundedMemo<Value: Sendable>: Sendable {
    private let entriesMax: Int
    private let values = Mutex<[String: Value]>([:])

    public init(entriesMax: Int) { self.entriesMax = entriesMax }

    public func value(_ key: String) -> Value? { values.withLock { $0[key] } }

    public func remember(_ key: String, _ value: Value) {
        values.withLock { map in
            if map.count >= entriesMax { map.removeAll(keepingCapacity: true) }
            map[key] = value
        }
    }

    /// Changes the value of `key` in place when one is remembered (nothing is added).
    public func update(_ key: String, _ change: (inout Value) -> Void) {
        values.withLock { map in
            guard var value = map[key] else { return }
            change(&value)
            map[key] = value
        }
    }

    public var count: Int { values.withLock { $0.count } }

    /// Everything remembered (for checks against the projection).
    public var snapshot: [String: Value] { values.withLock { $0 } }
}
