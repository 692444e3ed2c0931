import Hummingbird
import OAuth

/// The JSON error body of every OP error response (RFC 6749 §5.2 shape):
/// `{"error":"invalid_request","error_description":"..."}`.
public struct OAuthErrorBody: Codable, Sendable, Equatable {
    /// The error code, e.g. `invalid_request`, `not_found`, `server_error`.
    public var error: String
    /// Human-readable explanation (ASCII, no CR/LF/TAB — the conformance suite checks this).
    public var errorDescription: String?

    public init(error: String, errorDescription: String? = nil) {
        self.error = error
        self.errorDescription = errorDescription.map(Self.sanitisedDescription)
    }

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }

    /// RFC 6749 §5.2: `error_description` uses %x20-21 / %x23-5B / %x5D-7E only.
    static func sanitisedDescription(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    switch scalar.value {
                    case 0x20...0x21, 0x23...0x5B, 0x5D...0x7E: scalar
                    default: " "
                    }
                }))
    }
}

/// An error a route or middleware throws to produce an OAuth-style JSON error response.
///
/// ```swift
/// throw OPHTTPError(.badRequest, error: "invalid_request", description: "missing client_id")
/// ```
public struct OPHTTPError: Error, Sendable, Equatable {
    /// HTTP status of the response.
    public var status: HTTPResponse.Status
    /// The JSON body.
    public var body: OAuthErrorBody
    /// Extra response headers (e.g. `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, error: String, description: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.body = OAuthErrorBody(error: error, errorDescription: description)
        self.headers = headers
    }
}

extension OPHTTPError {
    /// The HTTP rendering of a protocol error (status, `error`, `error_description`, headers).
    public init(_ error: OAuthError) {
        var headers = HTTPFields()
        for header in error.headers {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        self.init(
            HTTPResponse.Status(code: error.status), error: error.code.rawValue, description: error.description,
            headers: headers)
    }
}
