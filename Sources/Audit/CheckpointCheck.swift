import Journal

/// The last step of a chain proof, shared by the live audit and bundle verification: the record at
/// `record.sequence` must be a checkpoint committing to the link just before it, signed (ES256) by
/// an active journal key.
enum CheckpointCheck {
    /// `keys`: the journal keys usable for this checkpoint (key id → X9.63 public key).
    static func check(
        _ record: JournalRecord, linkBefore: ChainLink, journalID: JournalID, keys: [String: [UInt8]],
        expectKeyID: String?
    ) -> AuditReport.CheckpointProof {
        var proof = AuditReport.CheckpointProof(
            sequence: record.sequence, coveredSequence: record.sequence &- 1, timeMicros: record.timeMicros,
            time: isoTime(record.timeMicros), link: linkBefore.hex, keyID: "", signatureValid: false, detail: "")
        guard record.kind == .checkpoint, let checkpoint = CheckpointRecord.decode(record.body) else {
            proof.detail = "the record at sequence \(record.sequence) is not a checkpoint"
            return proof
        }
        guard record.timeMicros == checkpoint.timeMicros else {
            proof.detail = "the checkpoint record's time differs from the time it signs"
            return proof
        }
        proof.keyID = checkpoint.keyID
        proof.timeMicros = checkpoint.timeMicros
        proof.time = isoTime(checkpoint.timeMicros)
        guard checkpoint.coveredSequence == record.sequence - 1, checkpoint.link == linkBefore else {
            proof.detail =
                "the checkpoint does not commit to the recomputed chain link at sequence \(record.sequence - 1)"
            return proof
        }
        if let expectKeyID, checkpoint.keyID != expectKeyID {
            proof.detail = "signed by journal key \(checkpoint.keyID), not the expected \(expectKeyID)"
            return proof
        }
        guard let key = keys[checkpoint.keyID] else {
            proof.detail = "signed by journal key \(checkpoint.keyID), which is not an active journal key here"
            return proof
        }
        guard checkpoint.verifySignature(journalID: journalID, publicKeyX963: key) else {
            proof.detail = "the ES256 signature does not verify with journal key \(checkpoint.keyID)"
            return proof
        }
        proof.signatureValid = true
        proof.detail =
            "ES256 signature by journal key \(checkpoint.keyID) over (sequence \(checkpoint.coveredSequence), link, time) verifies"
        return proof
    }

    /// The chain result of the event at `sequence`, proven through `check`.
    static func result(for sequence: UInt64, _ check: AuditReport.CheckpointProof) -> AuditReport.ChainResult {
        check.signatureValid
            ? AuditReport.ChainResult(
                status: .checkpointed, checkpointSequence: check.sequence,
                detail:
                    "chain recomputed from sequence \(sequence) to \(check.coveredSequence); checkpoint \(check.sequence) signed by journal key \(check.keyID.prefix(16))… verifies"
            )
            : AuditReport.ChainResult(
                status: .failed, checkpointSequence: check.sequence,
                detail: "checkpoint \(check.sequence): \(check.detail)")
    }

    /// The journal keys active after replaying `records` (kind 3) in order.
    static func activeKeys(_ records: [JournalRecord]) -> [String: [UInt8]] {
        var keys: [String: [UInt8]] = [:]
        for record in records where record.kind == .journalKey {
            guard let key = JournalKeyRecord.decode(record.body) else { continue }
            switch key.status {
            case .active: keys[key.keyID] = key.publicKeyX963
            case .retired: keys[key.keyID] = nil
            }
        }
        return keys
    }
}

/// The bytes a record contributes to the chain: kind ‖ time ‖ body (FORMAT.md §5).
func chainBytes(_ record: JournalRecord) -> [UInt8] {
    var bytes: [UInt8] = [record.kind.rawValue]
    withUnsafeBytes(of: record.timeMicros.littleEndian) { bytes += $0 }
    bytes += record.body
    return bytes
}
