import Synchronization

/// Values remembered by key, bounded: at `entriesMax` the memory starts over (what it held is read
/// again on demand). What goes in is the caller's rule — SSO session rows, which never change once
/// written (``ProjectionStore/session(_:)``); grants as the Ledger's decisions computed them and
/// every decided grant event changed them (`GrantMemory`); rows the projection wrote, and the active
/// grants read for remembered consent (``RecentRows``). Callers store only keys that exist, or
/// that an authenticated party names, so that unknown keys sent by clients cannot fill it.
public final class BoundedMemo<Value: Sendable>: Sendable {
    private struct Storage {
        var map: [String: Value] = [:]
        /// Bumped by every `forget`: a value read elsewhere before a bump may be stale.
        var generation: UInt64 = 0
    }

    private let entriesMax: Int
    private let storage = Mutex<Storage>(Storage())

    public init(entriesMax: Int) { self.entriesMax = entriesMax }

    public func value(_ key: String) -> Value? { storage.withLock { $0.map[key] } }

    public func remember(_ key: String, _ value: Value) {
        storage.withLock { store(key, value, in: &$0) }
    }

    /// Changes the value of `key` in place when one is remembered (nothing is added).
    public func update(_ key: String, _ change: (inout Value) -> Void) {
        storage.withLock { storage in
            guard var value = storage.map[key] else { return }
            change(&value)
            storage.map[key] = value
        }
    }

    /// The current generation: read it before reading a value from its source, and pass it to
    /// ``remember(_:_:ifNothingForgottenSince:)`` so that a value read before a change is not kept.
    public var generation: UInt64 { storage.withLock { $0.generation } }

    /// Remembers `value` unless something was forgotten since `generation` (then the source may
    /// have changed after `value` was read from it, and the value is simply not kept).
    public func remember(_ key: String, _ value: Value, ifNothingForgottenSince generation: UInt64) {
        storage.withLock { storage in
            guard storage.generation == generation else { return }
            store(key, value, in: &storage)
        }
    }

    /// Forgets `key` (its source changed).
    public func forget(_ key: String) {
        storage.withLock { storage in
            storage.map[key] = nil
            storage.generation &+= 1
        }
    }

    /// Forgets everything (a change whose keys are not known).
    public func forgetAll() {
        storage.withLock { storage in
            storage.map.removeAll(keepingCapacity: true)
            storage.generation &+= 1
        }
    }

    public var count: Int { storage.withLock { $0.map.count } }

    /// Everything remembered (for checks against the projection).
    public var snapshot: [String: Value] { storage.withLock { $0.map } }

    private func store(_ key: String, _ value: Value, in storage: inout Storage) {
        if storage.map.count >= entriesMax { storage.map.removeAll(keepingCapacity: true) }
        storage.map[key] = value
    }
}
