/// The OP's browser pages: plain HTML forms that work without JavaScript (login, one-time password,
/// consent, error). Every dynamic value is HTML-escaped; forms carry a CSRF token.
enum Pages {
    /// Escapes text for HTML element content and double-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) – Strongroom</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
        h1{font-size:1.4rem} label{display:block;margin:.8rem 0 .2rem} input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem}
        button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem;font-size:1rem} .muted{color:#555} ul{padding-left:1.2rem}
        .error{color:#a00000}
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    /// Hidden fields that identify the pending request and protect the form.
    static func hidden(clientID: String, requestURI: String, csrf: String) -> String {
        """
        <input type="hidden" name="client_id" value="\(escape(clientID))">
        <input type="hidden" name="request_uri" value="\(escape(requestURI))">
        <input type="hidden" name="csrf" value="\(escape(csrf))">
        """
    }

    static func login(
        clientName: String, clientID: String, requestURI: String, csrf: String, action: String, message: String?
    ) -> String {
        page(
            title: "Log in",
            body: """
                <h1>Log in</h1>
                <p class="muted">\(escape(clientName)) asks you to log in.</p>
                \(message.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="\(escape(action))">
                \(hidden(clientID: clientID, requestURI: requestURI, csrf: csrf))
                <label for="username">Username</label>
                <input type="text" id="username" name="username" autocomplete="username" required>
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required>
                <button type="submit" name="action" value="login">Log in</button>
                <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
                </form>
                """)
    }

    static func otp(
        clientName: String, clientID: String, requestURI: String, csrf: String, action: String, message: String?
    )
        -> String
    {
        page(
            title: "One-time password",
            body: """
                <h1>Confirm it is you</h1>
                <p class="muted">Enter the 6-digit code from your authenticator app.</p>
                \(message.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="\(escape(action))">
                \(hidden(clientID: clientID, requestURI: requestURI, csrf: csrf))
                <label for="otp">One-time password</label>
                <input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
                <button type="submit" name="action" value="verify">Continue</button>
                <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
                </form>
                """)
    }

    /// - Parameter change: for a grant management `merge` / `replace` (GM-03), the action and the
    ///   scopes the grant holds now; `scopes` is then what the grant will hold after approval.
    static func consent(
        clientName: String, clientID: String, scopes: [String], requestURI: String, csrf: String, action: String,
        change: (action: String, current: [String])? = nil
    ) -> String {
        let items = scopes.map { "<li><code>\(escape($0))</code> – \(escape(describe(scope: $0)))</li>" }.joined()
        var intro = "<p>It asks for:</p>"
        if let change {
            let current = change.current.map { "<code>\(escape($0))</code>" }.joined(separator: ", ")
            let verb = change.action == "replace" ? "replace" : "extend"
            intro = """
                <p>It asks to \(verb) the access you already gave it, which is now: \(current).</p>
                <p>After your approval it will have:</p>
                """
        }
        return page(
            title: "Allow access",
            body: """
                <h1>Allow \(escape(clientName)) access?</h1>
                <p class="muted">Application: \(escape(clientName)) (<code>\(escape(clientID))</code>)</p>
                \(intro)
                <ul>\(items)</ul>
                <form method="post" action="\(escape(action))">
                \(hidden(clientID: clientID, requestURI: requestURI, csrf: csrf))
                <button type="submit" name="decision" value="approve">Allow</button>
                <button type="submit" name="decision" value="deny">Deny</button>
                </form>
                """)
    }

    static func error(title: String, message: String) -> String {
        page(
            title: title,
            body: """
                <h1>\(escape(title))</h1>
                <p class="error">\(escape(message))</p>
                <p class="muted">You can close this window and start again from the application.</p>
                """)
    }

    static func describe(scope: String) -> String {
        switch scope {
        case "openid": "confirm who you are"
        case "offline_access": "keep access while you are away"
        case "profile": "your name"
        case "email": "your email address"
        default: "access to \(scope)"
        }
    }
}
