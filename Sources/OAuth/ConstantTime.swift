/// Comparisons of secrets (hashes of split-token secrets, CSRF tokens, MACs, thumbprints) whose
/// running time depends only on the lengths, never on where the inputs differ.
public enum ConstantTime {
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    public static func equal(_ a: String, _ b: String) -> Bool { equal(a.utf8, b.utf8) }
}
