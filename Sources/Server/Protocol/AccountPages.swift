import Foundation
import Projection

/// The pages of `/account/grants` (see ``AccountGrantsPage``). Every dynamic value is HTML-escaped.
extension Pages {
    /// One row of the grants list.
    struct AccountGrant {
        var grant: GrantRow
        /// The client's registered `client_name` (client-supplied text: escaped like everything else).
        var clientName: String
    }

    static func accountLogin(csrf: String, action: String, message: String?) -> String {
        page(
            title: "Your access",
            body: """
                <h1>Log in to see the access you gave</h1>
                \(message.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="\(escape(action))">
                <input type="hidden" name="csrf" value="\(escape(csrf))">
                <label for="username">Username</label>
                <input type="text" id="username" name="username" autocomplete="username" required>
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required>
                <button type="submit" name="action" value="login">Log in</button>
                </form>
                """)
    }

    static func accountOTP(csrf: String, action: String, message: String?) -> String {
        page(
            title: "One-time password",
            body: """
                <h1>Confirm it is you</h1>
                <p class="muted">Enter the 6-digit code from your authenticator app.</p>
                \(message.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="\(escape(action))">
                <input type="hidden" name="csrf" value="\(escape(csrf))">
                <label for="otp">One-time password</label>
                <input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
                <button type="submit" name="action" value="verify">Continue</button>
                </form>
                """)
    }

    /// The list: one table row per grant (newest first), with a revoke form for each active one.
    static func accountGrants(username: String, grants: [AccountGrant], csrf: String, revokeAction: String) -> String {
        let rows = grants.map { entry -> String in
            let g = entry.grant
            let scopes = g.scopes.map { "<code>\(escape($0))</code>" }.joined(separator: " ")
            let status =
                g.active
                ? "active"
                : "revoked \(g.revokedMicros.map(date) ?? "")\(g.revokedBy.map { " (by \(escape(describe(revokedBy: $0))))" } ?? "")"
            let action =
                g.active
                ? """
                <form method="post" action="\(escape(revokeAction))">
                <input type="hidden" name="csrf" value="\(escape(csrf))">
                <input type="hidden" name="grant_id" value="\(escape(g.grantID))">
                <button type="submit" name="action" value="revoke">Revoke</button>
                </form>
                """
                : ""
            return """
                <tr data-grant-id="\(escape(g.grantID))"><td class="client">\(escape(entry.clientName))<br><code class="client-id">\(escape(g.clientID))</code></td>
                <td class="scopes">\(scopes)</td><td class="created">\(date(g.createdMicros))</td>
                <td class="last-used">\(date(g.lastUsedMicros))</td><td class="status">\(status)</td><td>\(action)</td></tr>
                """
        }.joined(separator: "\n")
        let table =
            grants.isEmpty
            ? "<p>You have not given any application access.</p>"
            : """
            <table>
            <thead><tr><th>Application</th><th>Access</th><th>Given</th><th>Last used</th><th>Status</th><th></th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            </table>
            """
        return page(
            title: "Your access",
            body: """
                <h1>Access you gave to applications</h1>
                <p class="muted">Logged in as \(escape(username)). Revoking stops the application at once.</p>
                \(table)
                """)
    }

    /// A time as `2026-05-01 12:34:56 UTC` (no script, no locale guessing).
    static func date(_ micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000)) + " UTC"
    }

    static func describe(revokedBy: String) -> String {
        switch revokedBy {
        case "end_user": "you"
        case "client", "grant_management": "the application"
        case "operator": "customer service"
        case "code_reuse": "security: a code was reused"
        default: revokedBy
        }
    }
}
