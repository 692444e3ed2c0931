import Events
import JOSE

/// Turns verified journal facts into an ``AuditReport``. Shared by the live audit (reading the
/// journal) and by evidence-bundle verification (reading the bundle), so that both reach the same
/// report from the same records.
enum ReportBuilder {
    static func build(
        query: AuditReport.Query, selection: AuditSelection, journalID: String, journalLastSequence: UInt64?,
        events: [RecordedEvent], keyEvents: [RecordedEvent], chain: [UInt64: AuditReport.ChainResult],
        checkpoints: [AuditReport.CheckpointProof]
    ) -> AuditReport {
        let history = ClientKeyHistory(keyEvents)
        var problems: [String] = []
        func reportEvent(_ event: RecordedEvent, artifacts: [AuditReport.Artifact]) -> AuditReport.Event {
            let (summary, facts) = EventDescription.describe(event)
            let chainResult =
                chain[event.sequence]
                ?? AuditReport.ChainResult(status: .failed, checkpointSequence: nil, detail: "chain not checked")
            var verdict: AuditReport.Verdict = .verified
            if chainResult.status == .failed || artifacts.contains(where: { $0.status != .verified }) {
                verdict = .failed
            } else if chainResult.status == .chainedToHead {
                verdict = .pending
            }
            if chainResult.status == .failed {
                problems.append("sequence \(event.sequence) (\(event.envelope.type)): chain: \(chainResult.detail)")
            }
            for artifact in artifacts where artifact.status != .verified {
                problems.append(
                    "sequence \(event.sequence) (\(event.envelope.type)): \(artifact.kind) \(artifact.status.rawValue): \(artifact.detail)"
                )
            }
            return AuditReport.Event(
                sequence: event.sequence, timeMicros: event.timeMicros, time: isoTime(event.timeMicros),
                type: event.envelope.type, stream: event.envelope.stream.rawValue,
                actor: event.envelope.actor.description, fapiInteractionID: event.envelope.correlation.interactionID,
                requestID: event.envelope.correlation.requestID, summary: summary, facts: facts, artifacts: artifacts,
                chain: chainResult, verdict: verdict)
        }

        let sorted = events.sorted { $0.sequence < $1.sequence }
        let reported = sorted.map { reportEvent($0, artifacts: ArtifactVerifier.verify($0, history: history)) }

        // The clients involved, with the registration in force at the last audited event.
        var clientIDs: [String] = []
        var subjects: [String] = []
        for event in sorted {
            for key in event.auditKeys.sorted() {
                if key.topic == .client, !clientIDs.contains(key.value) { clientIDs.append(key.value) }
                if key.topic == .subject, !subjects.contains(key.value) { subjects.append(key.value) }
            }
        }
        let lastSequence = sorted.last?.sequence ?? 0
        let clients = clientIDs.map { clientID -> AuditReport.ClientAtTheTime in
            let registration = history.registrationEvents(of: clientID, through: lastSequence)
            var client = AuditReport.ClientAtTheTime(
                clientID: clientID, clientName: nil, tokenEndpointAuthMethod: nil,
                registrationEvents: registration.map { reportEvent($0, artifacts: []) }, keys: [], keysNote: nil)
            switch history.keys(of: clientID, before: lastSequence + 1) {
            case .keys(let set, let metadata, _):
                client.clientName = metadata["client_name"]?.stringValue
                client.tokenEndpointAuthMethod = metadata["token_endpoint_auth_method"]?.stringValue
                client.keys = set.keys.map { key in
                    AuditReport.KeyDescription(
                        kid: key.kid, kty: key.kty, alg: key.alg?.rawValue, thumbprint: key.thumbprint,
                        jwk: String(decoding: key.publicJWK.jsonBytes(), as: UTF8.self))
                }
            case .none(let why):
                client.keysNote = why
            }
            if client.clientName == nil {
                // A jwks_uri client still has a name in its metadata.
                for event in registration.reversed() {
                    let text: String?
                    switch event.body {
                    case .clientRegistered(let p): text = p.metadata
                    case .clientUpdated(let p): text = p.metadata
                    default: text = nil
                    }
                    if let text, let m = try? JSONValue.parseObject(Array(text.utf8)) {
                        client.clientName = m["client_name"]?.stringValue
                        client.tokenEndpointAuthMethod = m["token_endpoint_auth_method"]?.stringValue
                        break
                    }
                }
            }
            return client
        }
        for checkpoint in checkpoints where !checkpoint.signatureValid {
            problems.append("checkpoint at sequence \(checkpoint.sequence): \(checkpoint.detail)")
        }
        let summary = AuditReport.Summary(
            events: reported.count, verified: reported.filter { $0.verdict == .verified }.count,
            pending: reported.filter { $0.verdict == .pending }.count,
            failed: reported.filter { $0.verdict == .failed }.count, problems: problems)
        return AuditReport(
            query: query, selection: selection, journalID: journalID, journalLastSequence: journalLastSequence,
            clients: clients, subjects: subjects, events: reported, checkpoints: checkpoints, summary: summary)
    }
}
