#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// IP address text ↔ bytes, for `tls_client_auth_san_ip` (RFC 8705 §2.1.2) and iPAddress SAN
/// entries (RFC 5280 §4.2.1.6: 4 bytes for IPv4, 16 for IPv6).
enum IPAddressText {
    /// The address bytes of dotted-decimal IPv4 (4 bytes) or IPv6 text in any RFC 4291 §2.2 form
    /// (16 bytes); `nil` otherwise. IPv4 parts with leading zeros are refused (ambiguous octal).
    static func bytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if text.contains(":") {
            var address = [UInt8](repeating: 0, count: 16)
            let ok = address.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
            return ok == 1 ? address : nil
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var address: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            address.append(value)
        }
        return address
    }
}
