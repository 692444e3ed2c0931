import Events
import Foundation
import Journal

/// An evidence bundle (`audit export`): one JSON file that proves, without the journal, that the
/// audited events are exactly as journaled and covered by signed checkpoints. Format in
/// `Docs/audit.md`: the journal id, the journal public keys that signed the checkpoints (their
/// kind-3 records), one or more chain runs — the link before the run's first record, then every
/// record (kind ‖ time ‖ body, base64) up to and including a checkpoint — and the report those
/// records give. ``verify(_:expectKeyID:)`` recomputes all of it; the file must also be in the exact
/// canonical form this code writes, so that any altered byte fails.
///
/// ```swift
/// let bundle = try auditor.export(query)
/// try bundle.encoded().write(to: url)
/// let report = try EvidenceBundle.verify(Array(try Data(contentsOf: url)))
/// ```
public struct EvidenceBundle: Codable, Sendable, Equatable {
    public static let formatName = "strongroom.evidence-bundle.v1"

    public var format: String
    /// The journal id (32 lowercase hex digits): part of every signed checkpoint message.
    public var journalID: String
    /// The bodies of the kind-3 records (status ‖ algorithm ‖ key id ‖ public key) of the journal
    /// keys that signed the runs' checkpoints.
    public var journalKeys: [Data]
    public var runs: [Run]
    public var report: AuditReport

    /// A stretch of the journal: `records[k]` has sequence `firstSequence + k`; the last is a
    /// checkpoint that signs the link after the one before it.
    public struct Run: Codable, Sendable, Equatable {
        public var firstSequence: UInt64
        /// link(firstSequence − 1), 64 lowercase hex digits.
        public var linkBefore: String
        /// kind ‖ time (i64 LE) ‖ body of each record, as hashed by the chain.
        public var records: [Data]

        init(firstSequence: UInt64, linkBefore: String, records: [[UInt8]]) {
            self.firstSequence = firstSequence
            self.linkBefore = linkBefore
            self.records = records.map { Data($0) }
        }

        var checkpointSequence: UInt64 { firstSequence + UInt64(records.count) - 1 }
    }

    /// The bundle's bytes: JSON, keys sorted, no insignificant whitespace.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    static func make(
        journalID: JournalID, journalKeys: [[UInt8]], runs: [Run], query: AuditReport.Query,
        selection: AuditSelection
    ) throws -> EvidenceBundle {
        var bundle = EvidenceBundle(
            format: formatName, journalID: journalID.description, journalKeys: journalKeys.map { Data($0) },
            runs: runs,
            report: AuditReport(
                query: query, selection: selection, journalID: journalID.description, journalLastSequence: nil,
                clients: [], subjects: [], events: [], checkpoints: [],
                summary: AuditReport.Summary(events: 0, verified: 0, pending: 0, failed: 0, problems: [])))
        // The report in the bundle is the one its own records give: the same code verifies it.
        bundle.report = try bundle.rebuildReport(expectKeyID: nil)
        return bundle
    }

    /// Checks a bundle offline and returns its report. Throws ``AuditError`` naming the first
    /// problem: not canonical, a broken chain, a checkpoint that does not verify, a key not pinned
    /// by `expectKeyID`, a report that differs from what the records say.
    public static func verify(_ bytes: [UInt8], expectKeyID: String? = nil) throws -> AuditReport {
        let bundle: EvidenceBundle
        do {
            bundle = try JSONDecoder().decode(EvidenceBundle.self, from: Data(bytes))
        } catch {
            throw AuditError("the bundle is not a readable evidence bundle: \(error)")
        }
        guard try bundle.encoded() == bytes else {
            throw AuditError("the bundle's bytes are not in the canonical form audit export writes: it was altered")
        }
        let rebuilt = try bundle.rebuildReport(expectKeyID: expectKeyID)
        guard rebuilt == bundle.report else {
            throw AuditError(
                "the report in the bundle differs from the one its journal records give (\(firstDifference(bundle.report, rebuilt)))"
            )
        }
        return rebuilt
    }

    private static func firstDifference(_ a: AuditReport, _ b: AuditReport) -> String {
        if a.query != b.query { return "query" }
        if a.selection != b.selection { return "selection" }
        if a.events.count != b.events.count { return "\(a.events.count) events instead of \(b.events.count)" }
        for (x, y) in zip(a.events, b.events) where x != y { return "event at sequence \(y.sequence)" }
        if a.clients != b.clients { return "clients" }
        if a.checkpoints != b.checkpoints { return "checkpoints" }
        return "summary"
    }

    /// Recomputes every run's chain and checkpoint and builds the report from the records.
    func rebuildReport(expectKeyID: String?) throws -> AuditReport {
        guard format == Self.formatName else { throw AuditError("unknown bundle format \(format)") }
        guard let idBytes = Self.lowercaseHex(journalID), idBytes.count == 16 else {
            throw AuditError("journalID is not 32 lowercase hex digits")
        }
        let id = JournalID(bytes: idBytes)
        // Journal keys: each must decode (its id is the SHA-256 of its public key), be active, and
        // be used by a checkpoint below.
        var keys: [String: [UInt8]] = [:]
        for (n, raw) in journalKeys.enumerated() {
            guard let key = JournalKeyRecord.decode(Array(raw)), key.status == .active,
                keys[key.keyID] == nil
            else { throw AuditError("journalKeys[\(n)] is not an active journal key record") }
            keys[key.keyID] = key.publicKeyX963
        }
        var usedKeys: Set<String> = []
        var chain: [UInt64: AuditReport.ChainResult] = [:]
        var checkpoints: [AuditReport.CheckpointProof] = []
        var events: [RecordedEvent] = []
        var previousEnd: UInt64 = 0
        for (n, run) in runs.enumerated() {
            guard run.firstSequence > previousEnd, !run.records.isEmpty else {
                throw AuditError("runs[\(n)] is empty or overlaps the run before it")
            }
            guard let start = Self.lowercaseHex(run.linkBefore), start.count == ChainLink.byteCount else {
                throw AuditError("runs[\(n)].linkBefore is not 64 lowercase hex digits")
            }
            if run.firstSequence == 1, ChainLink(bytes: start) != ChainLink.genesis(journalID: id) {
                throw AuditError("runs[\(n)] starts the journal but not from its genesis link")
            }
            var link = ChainLink(bytes: start)
            var linkBeforeLast = link
            var records: [JournalRecord] = []
            for (k, raw) in run.records.enumerated() {
                let sequence = run.firstSequence + UInt64(k)
                guard raw.count >= 9, let kind = RecordKind(rawValue: raw[raw.startIndex]) else {
                    throw AuditError("runs[\(n)] record \(sequence) is malformed")
                }
                let bytes = Array(raw)
                let time = bytes[1..<9].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
                linkBeforeLast = link
                link = bytes.withUnsafeBytes { link.next(sequence: sequence, record: $0) }
                records.append(
                    JournalRecord(sequence: sequence, kind: kind, timeMicros: time, body: Array(bytes[9...])))
            }
            guard let last = records.last else { continue }
            let check = CheckpointCheck.check(
                last, linkBefore: linkBeforeLast, journalID: id, keys: keys, expectKeyID: expectKeyID)
            guard check.signatureValid else {
                throw AuditError("runs[\(n)]: the chain does not reach a valid checkpoint: \(check.detail)")
            }
            usedKeys.insert(check.keyID)
            checkpoints.append(check)
            for record in records.dropLast() where record.kind == .event {
                let event: RecordedEvent
                do {
                    event = try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                } catch {
                    throw AuditError("record \(record.sequence) is not a readable event: \(error)")
                }
                events.append(event)
                chain[record.sequence] = CheckpointCheck.result(for: record.sequence, check)
            }
            previousEnd = last.sequence
        }
        guard usedKeys == Set(keys.keys) else {
            throw AuditError("the bundle carries a journal key no checkpoint uses")
        }
        // The same selection rule as the live audit, over every event the runs carry: nothing that
        // matches inside these ranges can be left out of the report.
        let selected = events.filter { report.selection.matches($0) }
        guard !selected.isEmpty else { throw AuditError("the bundle holds no event of its selection") }
        let selection = report.selection
        guard selection.keys.contains(AuditKey(report.query.topic, report.query.id)),
            selection.fromMicros == report.query.fromMicros, selection.toMicros == report.query.toMicros
        else { throw AuditError("the bundle's query and selection disagree") }
        let lastSelected = selected.last?.sequence ?? 0
        let clients = Set(Auditor.clients(of: selected))
        let keyEvents = events.filter {
            $0.isClientKeyEvent && $0.sequence <= lastSelected && clients.contains($0.registeredClientID ?? "")
        }
        let usedCheckpoints = Set((selected + keyEvents).compactMap { chain[$0.sequence]?.checkpointSequence })
        return ReportBuilder.build(
            query: report.query, selection: selection, journalID: journalID, journalLastSequence: nil,
            events: selected, keyEvents: keyEvents, chain: chain,
            checkpoints: checkpoints.filter { usedCheckpoints.contains($0.sequence) })
    }

    static func lowercaseHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }
}
