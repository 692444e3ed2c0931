import Foundation

extension AuditReport {
    /// `--format json`: one object, keys sorted, indented.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func mark(_ verdict: Verdict) -> String {
        switch verdict {
        case .verified: return "VERIFIED"
        case .pending: return "CHAINED, NOT YET CHECKPOINTED"
        case .failed: return "FAILED"
        }
    }

    /// `--format text`: a timeline for a terminal.
    public func text() -> String {
        var out = "Strongroom audit — \(query.topic.rawValue) \(query.id)\n"
        out += "journal \(journalID)"
        if let journalLastSequence { out += ", read through sequence \(journalLastSequence)" }
        out += "\n"
        if let from = query.fromMicros { out += "from \(isoTime(from))\n" }
        if let to = query.toMicros { out += "to   \(isoTime(to))\n" }
        out += "selection: \(selection.keys.map(\.description).joined(separator: ", "))\n"
        for client in clients {
            out += "client \(client.clientID)"
            if let name = client.clientName { out += " \"\(name)\"" }
            if let method = client.tokenEndpointAuthMethod { out += " (\(method))" }
            out += "\n"
            for key in client.keys {
                out += "  key \(key.kid ?? "-") \(key.kty) \(key.alg ?? "") thumbprint \(key.thumbprint)\n"
            }
            if let note = client.keysNote { out += "  keys: \(note)\n" }
        }
        if !subjects.isEmpty { out += "subjects: \(subjects.joined(separator: ", "))\n" }
        out += "\n"
        for event in events {
            out += "#\(event.sequence)  \(event.time)  \(event.type)  [\(Self.mark(event.verdict))]\n"
            out += "    \(event.summary)\n"
            out += "    actor \(event.actor)  stream \(event.stream)"
            if let fapi = event.fapiInteractionID { out += "  x-fapi-interaction-id \(fapi)" }
            out += "\n"
            for fact in event.facts { out += "    \(fact.name): \(fact.value)\n" }
            for artifact in event.artifacts {
                out += "    \(artifact.kind): \(artifact.status.rawValue.uppercased()) — \(artifact.detail)\n"
                if let header = artifact.header { out += "      header  \(header)\n" }
                if let payload = artifact.payload { out += "      payload \(payload)\n" }
            }
            out += "    chain: \(event.chain.status.rawValue) — \(event.chain.detail)\n\n"
        }
        for checkpoint in checkpoints {
            out +=
                "checkpoint #\(checkpoint.sequence) \(checkpoint.time) covers #\(checkpoint.coveredSequence): \(checkpoint.signatureValid ? "SIGNATURE VALID" : "INVALID") — \(checkpoint.detail)\n"
        }
        out +=
            "\n\(summary.events) event(s): \(summary.verified) verified, \(summary.pending) chained but not yet checkpointed, \(summary.failed) failed\n"
        for problem in summary.problems { out += "PROBLEM: \(problem)\n" }
        return out
    }
}
