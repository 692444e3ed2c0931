extension AuditReport {
    /// Escapes text for HTML element content and quoted attribute values: every event field is
    /// untrusted input (client names, parameters, JWS payloads come from clients).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static let style = """
        body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#111;margin:2em;max-width:60em}
        h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.6em}
        table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{text-align:left;vertical-align:top;padding:.15em .5em;border-bottom:1px solid #ddd;font-size:.9em}
        th{width:15em;color:#333;font-weight:600}
        .event{border:1px solid #bbb;border-left:6px solid #888;padding:.4em .8em;margin:.8em 0;page-break-inside:avoid;break-inside:avoid}
        .event.verified{border-left-color:#1a7f37}.event.pending{border-left-color:#b08800}.event.failed{border-left-color:#c62828}
        .mark{font-weight:700;padding:0 .4em;border-radius:3px;white-space:nowrap}
        .mark.verified{color:#fff;background:#1a7f37}.mark.pending{color:#000;background:#f2cc60}.mark.failed{color:#fff;background:#c62828}
        .meta{color:#444;font-size:.85em}code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.8em;word-break:break-all;white-space:pre-wrap}
        .summary{font-size:1.05em;padding:.5em .8em;border:2px solid #888}
        @media print{body{margin:0;max-width:none}.event{border-left-width:4px}a{color:inherit;text-decoration:none}}
        """

    /// `--format html`: one self-contained, printable file (inline CSS, no script, no external
    /// resource) with the timeline, verification marks, the client and user, and decoded artifacts.
    public func html() -> String {
        let e = Self.escape
        func row(_ name: String, _ value: String) -> String { "<tr><th>\(e(name))</th><td>\(e(value))</td></tr>" }
        func mark(_ verdict: Verdict) -> String {
            "<span class=\"mark \(verdict.rawValue)\">\(e(Self.mark(verdict)))</span>"
        }
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        h +=
            "<title>Strongroom audit: \(e(query.topic.rawValue)) \(e(query.id))</title><style>\(Self.style)</style></head><body>"
        h += "<h1>Audit report: \(e(query.topic.rawValue)) <code id=\"query-id\">\(e(query.id))</code></h1>"
        h += "<p class=\"meta\">Reconstructed from the Strongroom journal \(e(journalID))"
        if let journalLastSequence { h += " (read through sequence \(journalLastSequence))" }
        h +=
            ". Every event is re-verified: hash chain to a signed checkpoint, and every signed artifact against the key of that time.</p>"
        let overall: Verdict =
            summary.failed > 0 || !summary.problems.isEmpty ? .failed : summary.pending > 0 ? .pending : .verified
        h +=
            "<p class=\"summary\" id=\"summary\">\(mark(overall)) \(summary.events) event(s): \(summary.verified) verified, "
        h += "\(summary.pending) chained but not yet checkpointed, \(summary.failed) failed.</p>"
        if !summary.problems.isEmpty {
            h += "<ul id=\"problems\">" + summary.problems.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        }
        h += "<table>"
        if let from = query.fromMicros { h += row("From", isoTime(from)) }
        if let to = query.toMicros { h += row("To", isoTime(to)) }
        h += row("Selection", selection.keys.map(\.description).joined(separator: ", "))
        h += row("Subjects (users)", subjects.joined(separator: ", "))
        h += "</table>"

        h += "<h2>Clients (as registered at the time)</h2>"
        for client in clients {
            h += "<div class=\"client\"><table>"
            h += row("Client ID", client.clientID)
            h += row("Client name", client.clientName ?? "(none)")
            h += row("Authentication method", client.tokenEndpointAuthMethod ?? "(default)")
            for key in client.keys {
                h += row("Key \(key.kid ?? "(no kid)")", "\(key.kty) \(key.alg ?? "") — thumbprint \(key.thumbprint)")
            }
            if let note = client.keysNote { h += row("Keys", note) }
            for registration in client.registrationEvents {
                h += row(
                    "#\(registration.sequence) \(registration.type)",
                    "\(registration.time) — \(Self.mark(registration.verdict))")
            }
            h += "</table></div>"
        }

        h += "<h2>Timeline</h2>"
        for event in events {
            h += "<div class=\"event \(event.verdict.rawValue)\" id=\"event-\(event.sequence)\">"
            h +=
                "<p>\(mark(event.verdict)) <strong>\(e(event.time))</strong> — <code>\(e(event.type))</code> — #\(event.sequence)</p>"
            h += "<p class=\"what\">\(e(event.summary))</p>"
            h += "<p class=\"meta\">actor \(e(event.actor)) · stream \(e(event.stream))"
            if let fapi = event.fapiInteractionID { h += " · x-fapi-interaction-id \(e(fapi))" }
            h += "</p><table>"
            for fact in event.facts { h += row(fact.name, fact.value) }
            h += "</table>"
            for artifact in event.artifacts {
                let verdict: Verdict = artifact.status == .verified ? .verified : .failed
                h += "<div class=\"artifact\"><p>\(mark(verdict)) <strong>\(e(artifact.kind))</strong>: "
                h += "\(e(artifact.status.rawValue)) — \(e(artifact.detail))</p>"
                if let header = artifact.header { h += "<p class=\"meta\">header</p><pre>\(e(header))</pre>" }
                if let payload = artifact.payload { h += "<p class=\"meta\">payload</p><pre>\(e(payload))</pre>" }
                h += "</div>"
            }
            h += "<p class=\"meta chain\">chain: \(e(event.chain.status.rawValue)) — \(e(event.chain.detail))</p></div>"
        }

        h += "<h2>Signed checkpoints</h2><table>"
        for checkpoint in checkpoints {
            h += row(
                "#\(checkpoint.sequence) at \(checkpoint.time)",
                "\(checkpoint.signatureValid ? "signature valid" : "INVALID") — covers #\(checkpoint.coveredSequence), link \(checkpoint.link) — \(checkpoint.detail)"
            )
        }
        h += "</table></body></html>\n"
        return h
    }
}
