/// A file-system safety check or system call that failed while handling secret material
/// (private keys, TLS keys). Each description says which path and how to fix it.
public enum FileSecurityError: Error, Equatable, CustomStringConvertible {
    /// A secret file or its directory can be accessed by group or others.
    case insecurePermissions(path: String, mode: UInt32)
    /// A secret file or its directory belongs to another user.
    case wrongOwner(path: String, owner: UInt32)
    /// The path is not a regular file (or, for a directory, not a directory); symbolic links are refused.
    case wrongFileType(path: String)
    /// The file is larger than the caller's limit.
    case tooLarge(path: String, maxBytes: Int)
    /// A system call failed with `errno`.
    case systemCall(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .insecurePermissions(let path, let mode):
            let octal = String(mode & 0o777, radix: 8)
            return "refusing \(path): mode \(octal) lets group/others access it; run `chmod go-rwx \(path)`"
        case .wrongOwner(let path, let owner):
            return "refusing \(path): owned by uid \(owner), not by the user running the OP"
        case .wrongFileType(let path):
            return "refusing \(path): wrong file type (symbolic links are not followed)"
        case .tooLarge(let path, let maxBytes):
            return "refusing \(path): larger than \(maxBytes) bytes"
        case .systemCall(let operation, let path, let errno):
            return "\(operation)(\(path)) failed: errno \(errno)"
        }
    }

}
