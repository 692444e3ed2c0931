/// The validated input and its tape, shared by the decoder and all its containers
/// during one `decode` call.
@usableFromInline
final class _EventJSONDecoderState {
    let input: UnsafePointer<UInt8>
    let length: Int
    let nodes: UnsafeMutablePointer<_JSONNode>
    let nodeCount: Int
    /// False once `decode` returned: a decoder or container kept by a `Decodable` beyond
    /// that must not read the caller's (possibly freed) bytes, so it throws instead.
    @exclusivity(unchecked) var isValid = true

    @usableFromInline
    init(bytes: UnsafeRawBufferPointer, maxDepth: Int, maxInputBytes: Int) throws {
        let limit = Swift.min(maxInputBytes, Int(UInt32.max) - 1)
        guard bytes.count <= limit else {
            throw EventJSONError(.limitExceeded, "input of \(bytes.count) bytes exceeds the limit of \(limit)")
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw EventJSONError(.syntax, "empty input", offset: 0)
        }
        let input = base.assumingMemoryBound(to: UInt8.self)
        var builder = _JSONTapeBuilder(input: input, length: bytes.count, maxDepth: maxDepth)
        do {
            try builder.parse()
        } catch {
            builder.nodes.deallocate()
            throw error
        }
        self.input = input
        self.length = bytes.count
        self.nodes = builder.nodes
        self.nodeCount = builder.nodeCount
    }

    deinit { nodes.deallocate() }

    @usableFromInline
    func invalidate() { isValid = false }

    @inline(__always)
    func checkValid() throws {
        guard isValid else {
            throw EventJSONError(.unsupported, "decoder used after decode(_:from:) returned")
        }
    }

    /// The coding path of the value at tape node `target`, rebuilt from the tape: keys
    /// as they are spelled in the JSON, array positions as indices. Only errors and
    /// `codingPath` queries need it, so the decoding hot path tracks no path at all.
    func codingPath(to target: Int) -> [any CodingKey] {
        var path: [any CodingKey] = []
        var current = 0
        descend: while current != target, current < nodeCount {
            let container = nodes[current]
            let end = Int(container.next)
            guard container.kind == .object || container.kind == .array, target < end else { break }
            var child = current + 1
            var position = 0
            while child < end {
                // In objects, `child` is a key and the value follows it.
                let value = container.kind == .object ? child + 1 : child
                let valueEnd = Int(nodes[value].next)
                if target >= value, target < valueEnd {
                    path.append(
                        container.kind == .object
                            ? _EventJSONKey(stringValue: stringValue(child))
                            : _EventJSONKey(intValue: position))
                    current = value
                    continue descend
                }
                child = valueEnd
                position += 1
            }
            break
        }
        return path
    }

    func codingPath(to target: Int, appending key: any CodingKey) -> [any CodingKey] {
        var path = codingPath(to: target)
        path.append(key)
        return path
    }

    // MARK: Errors

    func describe(_ kind: _JSONNode.Kind) -> String {
        switch kind {
        case .null: return "null"
        case .false, .true: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    func offset(_ node: Int) -> Int {
        let value = nodes[node]
        return Int(value.kind == .string ? value.start - 1 : value.start)
    }

    /// typeMismatch, or valueNotFound when the value is null (as Foundation reports).
    func mismatch(_ node: Int, _ type: Any.Type) -> DecodingError {
        let path = codingPath(to: node)
        let kind = nodes[node].kind
        if kind == .null {
            return DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: path,
                    debugDescription: "Expected \(type) value but found null instead (byte \(offset(node)))."))
        }
        return DecodingError.typeMismatch(
            type,
            DecodingError.Context(
                codingPath: path,
                debugDescription:
                    "Expected to decode \(type) but found \(describe(kind)) instead (byte \(offset(node)))."))
    }

    func dataCorrupted(_ node: Int, _ why: String) -> DecodingError {
        DecodingError.dataCorrupted(
            DecodingError.Context(
                codingPath: codingPath(to: node), debugDescription: "\(why) (byte \(offset(node)))."))
    }

    // MARK: Keys

    /// The value node of `name` in `object`, or nil. Starts at the object's hint and wraps
    /// around, so keys asked for in document order are found at the first comparison.
    func find(_ name: String, in object: Int) -> Int? {
        var name = name
        return name.withUTF8 { find($0, in: object) }
    }

    /// `find` for a key known at compile time (the member-wise readers of `PayloadReader.swift`).
    @inline(__always)
    func find(_ name: StaticString, in object: Int) -> Int? {
        find(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), in: object)
    }

    func find(_ key: UnsafeBufferPointer<UInt8>, in object: Int) -> Int? {
        let pairs = Int(nodes[object].count)
        guard pairs > 0 else { return nil }
        let first = object + 1
        let end = Int(nodes[object].next)
        var candidate = Int(nodes[object].hint)
        for _ in 0..<pairs {
            let value = candidate + 1
            let following = Int(nodes[value].next)
            if matches(candidate, key) {
                nodes[object].hint = UInt32(truncatingIfNeeded: following < end ? following : first)
                return value
            }
            candidate = following < end ? following : first
        }
        return nil
    }

    @inline(__always)
    func matches(_ keyNode: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let node = nodes[keyNode]
        if node.flags & _JSONNode.hasEscapes != 0 {
            return _keyBytes(nodes, input, keyNode).elementsEqual(key)
        }
        let length = Int(node.end &- node.start)
        guard length == key.count else { return false }
        guard let keyStart = key.baseAddress else { return true }
        return _bytesEqual(input + Int(node.start), keyStart, length)
    }

    /// The keys of `object`, in document order.
    func keys(of object: Int) -> [String] {
        var result: [String] = []
        result.reserveCapacity(Int(nodes[object].count))
        let end = Int(nodes[object].next)
        var key = object + 1
        while key < end {
            result.append(stringValue(key))
            key = Int(nodes[key + 1].next)
        }
        return result
    }

    // MARK: Scalars

    /// The text of string node `node` (known to be a string).
    func stringValue(_ node: Int) -> String {
        let value = nodes[node]
        let start = Int(value.start)
        let length = Int(value.end) - start
        if value.flags & _JSONNode.hasEscapes == 0 {
            // Already validated as UTF-8 by the tape builder.
            return String(decoding: UnsafeBufferPointer(start: input + start, count: length), as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: length) { buffer in
            _unescape(input + start, length, into: buffer)
        }
    }

    func string(_ node: Int) throws -> String {
        guard nodes[node].kind == .string else { throw mismatch(node, String.self) }
        return stringValue(node)
    }

    func bool(_ node: Int) throws -> Bool {
        switch nodes[node].kind {
        case .true: return true
        case .false: return false
        default: throw mismatch(node, Bool.self)
        }
    }

    /// An integer of type `T`, with overflow detection; fractions and exponents are
    /// refused even when the value would be integral ("1.0", "1e3").
    @inline(__always)  // so each caller gets it specialized for its integer type
    func integer<T: FixedWidthInteger>(_ node: Int, _ type: T.Type) throws -> T {
        let value = nodes[node]
        guard value.kind == .number else { throw mismatch(node, T.self) }
        var position = Int(value.start)
        let end = Int(value.end)
        guard value.flags & _JSONNode.isInteger != 0 else {
            throw dataCorrupted(node, "Number \(text(node)) is not an integer, as \(T.self) requires")
        }
        let negative = input[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var magnitude: T.Magnitude = 0
        var overflow = false
        while position < end {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(T.Magnitude(input[position] &- UInt8(ascii: "0")))
            magnitude = sum
            overflow = overflow || o1 || o2
            position += 1
        }
        if !overflow {
            if negative {
                if magnitude == 0 { return 0 }
                // Two's complement: -magnitude, valid down to T.min.
                if T.isSigned, magnitude - 1 <= T.Magnitude(truncatingIfNeeded: T.max) {
                    return T(truncatingIfNeeded: 0 &- magnitude)
                }
            } else if magnitude <= T.Magnitude(truncatingIfNeeded: T.max) {
                return T(truncatingIfNeeded: magnitude)
            }
        }
        throw dataCorrupted(node, "Number \(text(node)) does not fit in \(T.self)")
    }

    func double(_ node: Int) throws -> Double {
        guard nodes[node].kind == .number else { throw mismatch(node, Double.self) }
        if let fast = _fastDouble(input + Int(nodes[node].start), Int(nodes[node].end &- nodes[node].start)) {
            return fast
        }
        // Correctly rounded, locale-independent (strtod with the C locale).
        guard let value = Double(text(node)), value.isFinite else {
            throw dataCorrupted(node, "Number \(text(node)) is not representable as Double")
        }
        return value
    }

    func float(_ node: Int) throws -> Float {
        guard nodes[node].kind == .number else { throw mismatch(node, Float.self) }
        // Parsed as Float directly: going through Double could round twice.
        guard let value = Float(text(node)), value.isFinite else {
            throw dataCorrupted(node, "Number \(text(node)) is not representable as Float")
        }
        return value
    }

    /// The source text of a number node (ASCII).
    func text(_ node: Int) -> String {
        let value = nodes[node]
        let start = Int(value.start)
        return String(decoding: UnsafeBufferPointer(start: input + start, count: Int(value.end) - start), as: UTF8.self)
    }

    func numberText(_ node: Int, type: Any.Type) throws -> String {
        guard nodes[node].kind == .number else { throw mismatch(node, type) }
        return text(node)
    }
}

private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// Clinger's fast path: when the decimal significand fits in 53 bits and the power of
/// ten is exact (|e| <= 22), one IEEE multiplication or division of two exact values is
/// correctly rounded. Returns nil when the slow path (strtod) is needed.
func _fastDouble(_ text: UnsafePointer<UInt8>, _ length: Int) -> Double? {
    var position = 0
    let negative = text[0] == UInt8(ascii: "-")
    if negative { position = 1 }
    var significand: UInt64 = 0
    var digits = 0
    var exponent = 0
    var inFraction = false
    while position < length {
        let byte = text[position]
        if byte == UInt8(ascii: ".") {
            inFraction = true
        } else if byte &- UInt8(ascii: "0") < 10 {
            if significand == 0 && byte == UInt8(ascii: "0") {
                if inFraction { exponent -= 1 }
            } else {
                guard digits < 19 else { return nil }
                significand = significand &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                digits += 1
                if inFraction { exponent -= 1 }
            }
        } else {
            break  // 'e' or 'E'
        }
        position += 1
    }
    if position < length {
        position += 1
        var exponentNegative = false
        if text[position] == UInt8(ascii: "-") || text[position] == UInt8(ascii: "+") {
            exponentNegative = text[position] == UInt8(ascii: "-")
            position += 1
        }
        guard length - position <= 4 else { return nil }
        var written = 0
        while position < length {
            written = written * 10 + Int(text[position] &- UInt8(ascii: "0"))
            position += 1
        }
        exponent += exponentNegative ? -written : written
    }
    if significand == 0 { return negative ? -0.0 : 0.0 }
    guard significand <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
    var value = Double(significand)
    value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
    return negative ? -value : value
}
