import Events
import Foundation
import Journal

/// Why an audit could not be made.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Audits from the journal alone, read-only, with or without a running server: finds the events
/// of an interaction, grant, subject or client through the ``AuditIndex``, reads them back from the
/// journal, recomputes the hash chain from each to the next signed checkpoint, re-verifies every
/// signed artifact against the client keys of that time, and reports.
///
/// ```swift
/// let auditor = try Auditor(dataDirectory: dir, indexPath: dir + "/audit/index.sqlite")
/// let report = try auditor.report(AuditReport.Query(topic: .interaction, id: "01J…"))
/// print(report.summary.allVerified)
/// ```
public final class Auditor {
    public let reader: JournalReader
    public let index: AuditIndex
    public let catchUp: AuditIndex.CatchUp
    let journalID: JournalID

    /// Opens the journal read-only (no lock; a partially written tail is ignored) and catches the
    /// index up. `indexPath` nil: an in-memory index built by a full scan (trusts no file).
    public init(
        dataDirectory: String, indexPath: String?,
        progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws {
        reader = try JournalReader(dataDirectory: dataDirectory)
        guard let id = reader.journalID else { throw AuditError("no journal segment under \(dataDirectory)/journal") }
        journalID = id
        index = try AuditIndex(path: indexPath)
        catchUp = try index.catchUp(reader, progress: progress)
    }

    /// The audit of `query`.
    public func report(_ query: AuditReport.Query, expectKeyID: String? = nil) throws -> AuditReport {
        let found = try collect(query)
        let proof = try proveChain(sequences: found.allSequences, collect: false, expectKeyID: expectKeyID)
        return ReportBuilder.build(
            query: query, selection: found.selection, journalID: journalID.description,
            journalLastSequence: reader.lastSequence, events: found.events, keyEvents: found.keyEvents,
            chain: proof.results, checkpoints: proof.checkpoints)
    }

    /// An evidence bundle for `query`: the records needed to recompute the chain from every audited
    /// event to its checkpoint, the checkpoints, the journal keys, and the report they give.
    public func export(_ query: AuditReport.Query, expectKeyID: String? = nil) throws -> EvidenceBundle {
        let found = try collect(query)
        guard !found.events.isEmpty else {
            throw AuditError("nothing to export: no event matches \(query.topic.rawValue) \(query.id)")
        }
        let proof = try proveChain(sequences: found.allSequences, collect: true, expectKeyID: expectKeyID)
        for (sequence, result) in proof.results.sorted(by: { $0.key < $1.key }) where result.status != .checkpointed {
            throw AuditError(
                "event \(sequence) cannot be exported: \(result.detail). A bundle holds only events a signed checkpoint covers; the server writes one at least every 60 s while events arrive and at shutdown — retry then"
            )
        }
        let lastCheckpoint = proof.runs.map(\.checkpointSequence).max() ?? 0
        var usedKeys = Set(proof.checkpoints.map(\.keyID))
        let keyRecords = try reader.records(sequences: try index.journalKeys(before: lastCheckpoint)).compactMap {
            record -> [UInt8]? in
            guard let key = JournalKeyRecord.decode(record.body), key.status == .active,
                usedKeys.remove(key.keyID) != nil
            else { return nil }
            return record.body
        }
        return try EvidenceBundle.make(
            journalID: journalID, journalKeys: keyRecords, runs: proof.runs,
            query: query, selection: found.selection)
    }

    struct Found {
        var selection: AuditSelection
        var events: [RecordedEvent]
        var keyEvents: [RecordedEvent]
        var allSequences: [UInt64] { Array(Set(events.map(\.sequence) + keyEvents.map(\.sequence))).sorted() }
    }

    /// Resolves the query to its selection (an interaction brings the grant it created; a grant
    /// the interaction that created it) and reads the matching events and the client registrations.
    func collect(_ query: AuditReport.Query) throws -> Found {
        var keys: Set<AuditKey> = [AuditKey(query.topic, query.id)]
        var events: [UInt64: RecordedEvent] = [:]
        var fetched: Set<AuditKey> = []
        func fetch(_ key: AuditKey) throws {
            guard fetched.insert(key).inserted else { return }
            let sequences = try index.sequences(for: key, fromMicros: query.fromMicros, toMicros: query.toMicros)
            for record in try reader.records(sequences: sequences) where record.kind == .event {
                let event = try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                if event.auditKeys.contains(key) { events[event.sequence] = event }
            }
        }
        try fetch(AuditKey(query.topic, query.id))
        if query.topic == .interaction || query.topic == .grant {
            // Two rounds of expansion: an x-fapi-interaction-id → the interaction streams it
            // touched → the grant their consent created (and for a grant, the interaction that
            // created it). Bounded, so a reused x-fapi-interaction-id cannot snowball.
            for _ in 0..<2 {
                var related: Set<AuditKey> = []
                for event in events.values {
                    let stream = event.envelope.stream.rawValue
                    if query.topic == .interaction, stream.hasPrefix("interaction/") {
                        related.insert(AuditKey(.interaction, String(stream.dropFirst("interaction/".count))))
                    }
                    switch event.body {
                    case .consentGiven(let p):
                        related.insert(AuditKey(.grant, p.grantID))
                        related.insert(AuditKey(.interaction, p.requestID))
                    case .codeIssued(let p):
                        related.insert(AuditKey(.grant, p.grantID))
                        if let r = p.requestID { related.insert(AuditKey(.interaction, r)) }
                    default: break
                    }
                }
                for key in related.sorted() where !keys.contains(key) {
                    keys.insert(key)
                    try fetch(key)
                }
            }
        }
        if query.topic == .subject || query.topic == .client {
            // A grant's revocation by the system or an operator names only the grant: bring in the
            // grants of the events found (within the same time bounds).
            var grants: Set<AuditKey> = []
            for event in events.values {
                for key in event.auditKeys where key.topic == .grant { grants.insert(key) }
            }
            for key in grants.sorted() where !keys.contains(key) {
                keys.insert(key)
                try fetch(key)
            }
        }
        let selection = AuditSelection(keys: keys, fromMicros: query.fromMicros, toMicros: query.toMicros)
        let sorted = events.values.filter { selection.matches($0) }.sorted { $0.sequence < $1.sequence }
        let last = sorted.last?.sequence ?? 0
        var keyEvents: [RecordedEvent] = []
        for clientID in Self.clients(of: sorted) {
            let sequences = try index.registrationSequences(clientID: clientID, through: last)
            for record in try reader.records(sequences: sequences) where record.kind == .event {
                let event = try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                if event.isClientKeyEvent, event.registeredClientID == clientID { keyEvents.append(event) }
            }
        }
        return Found(selection: selection, events: sorted, keyEvents: keyEvents.sorted { $0.sequence < $1.sequence })
    }

    /// The clients the events are about, in order of first appearance.
    static func clients(of events: [RecordedEvent]) -> [String] {
        var out: [String] = []
        for event in events {
            for key in event.auditKeys.sorted() where key.topic == .client && !out.contains(key.value) {
                out.append(key.value)
            }
        }
        return out
    }

    struct ChainProof {
        var results: [UInt64: AuditReport.ChainResult] = [:]
        var checkpoints: [AuditReport.CheckpointProof] = []
        var runs: [EvidenceBundle.Run] = []
    }

    /// One forward walk: the events sharing a checkpoint (or the journal head).
    struct Group {
        var first: UInt64
        var checkpoint: UInt64?
        var end: UInt64
        var members: [UInt64]
    }

    /// What one walk found.
    struct Walk: Sendable {
        var linkBefore: ChainLink
        var linkAtEnd: ChainLink
        var checkpointRecord: JournalRecord?
        var linkBeforeCheckpoint: ChainLink?
        var collected: [[UInt8]] = []
        var failure: String?
    }

    /// Results of the walks, one slot per group, filled from several threads.
    final class WalkSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Walk?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ walk: Walk) { lock.withLock { slots[index] = walk } }
        var all: [Walk?] { lock.withLock { slots } }
    }

    /// Recomputes the chain from each sequence to the first checkpoint after it and verifies that
    /// checkpoint. Sequences sharing a checkpoint share one forward walk; the walks of different
    /// checkpoints are independent and run in parallel (the reader only uses positioned reads).
    func proveChain(sequences: [UInt64], collect: Bool, expectKeyID: String?) throws -> ChainProof {
        var groups: [Group] = []
        var i = 0
        while i < sequences.count {
            let first = sequences[i]
            let checkpoint = try index.checkpoint(after: first)
            var members: [UInt64] = []
            while i < sequences.count, checkpoint.map({ sequences[i] < $0 }) ?? true {
                members.append(sequences[i])
                i += 1
            }
            groups.append(
                Group(first: first, checkpoint: checkpoint, end: checkpoint ?? reader.lastSequence, members: members))
        }
        let slots = WalkSlots(count: groups.count)
        let reader = self.reader
        let genesis = ChainLink.genesis(journalID: journalID)
        let frozen = groups
        DispatchQueue.concurrentPerform(iterations: frozen.count) { n in
            slots.set(n, Self.walk(frozen[n], reader: reader, genesis: genesis, collect: collect))
        }
        var proof = ChainProof()
        for (group, walk) in zip(groups, slots.all) {
            guard let walk, walk.failure == nil else {
                for s in group.members {
                    proof.results[s] = AuditReport.ChainResult(
                        status: .failed, checkpointSequence: group.checkpoint,
                        detail:
                            "the journal between sequence \(group.first) and \(group.end) does not verify: \(walk?.failure ?? "not read")"
                    )
                }
                continue
            }
            guard let checkpoint = group.checkpoint else {
                for s in group.members {
                    proof.results[s] = AuditReport.ChainResult(
                        status: .chainedToHead, checkpointSequence: nil,
                        detail:
                            "chain recomputed to the journal head (sequence \(group.end), link \(walk.linkAtEnd.hex.prefix(16))…); not yet covered by a signed checkpoint"
                    )
                }
                continue
            }
            guard let record = walk.checkpointRecord, let before = walk.linkBeforeCheckpoint else {
                for s in group.members {
                    proof.results[s] = AuditReport.ChainResult(
                        status: .failed, checkpointSequence: checkpoint,
                        detail: "the checkpoint at sequence \(checkpoint) could not be read")
                }
                continue
            }
            let keyRecords = try reader.records(sequences: try index.journalKeys(before: checkpoint))
            let check = CheckpointCheck.check(
                record, linkBefore: before, journalID: journalID, keys: CheckpointCheck.activeKeys(keyRecords),
                expectKeyID: expectKeyID)
            if !proof.checkpoints.contains(where: { $0.sequence == check.sequence }) { proof.checkpoints.append(check) }
            for s in group.members {
                proof.results[s] = CheckpointCheck.result(for: s, check)
            }
            if collect {
                proof.runs.append(
                    EvidenceBundle.Run(
                        firstSequence: group.first, linkBefore: walk.linkBefore.hex, records: walk.collected))
            }
        }
        return proof
    }

    /// Reads the journal from `group.first − 1` to `group.end`, recomputing the chain (the reader
    /// checks every batch's CRC and link on the way).
    static func walk(_ group: Group, reader: JournalReader, genesis: ChainLink, collect: Bool) -> Walk {
        var walk = Walk(linkBefore: genesis, linkAtEnd: genesis)
        var previous = genesis
        let first = group.first
        do {
            try reader.forEachWithLink(from: first > 1 ? first - 1 : 1, through: group.end) { record, link in
                if record.sequence == first - 1 {
                    walk.linkBefore = link
                    previous = link
                    return true
                }
                if record.sequence == group.end, group.checkpoint != nil {
                    walk.checkpointRecord = record
                    walk.linkBeforeCheckpoint = previous
                }
                if collect { walk.collected.append(chainBytes(record)) }
                previous = link
                walk.linkAtEnd = link
                return true
            }
        } catch {
            walk.failure = "\(error)"
        }
        return walk
    }
}
