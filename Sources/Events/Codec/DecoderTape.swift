// Pass one of decoding: validate the whole input strictly (RFC 8259) and record every
// value as a node of a flat "tape", in document order. Containers know where their
// subtree ends (`next`), so the Codable pass can skip over values and look keys up
// without parsing anything twice.

/// One JSON value on the tape.
struct _JSONNode {
    enum Kind: UInt8 {
        case null, `false`, `true`, number, string, array, object
    }

    static let hasEscapes: UInt8 = 1  // string: contains backslash escapes
    static let isInteger: UInt8 = 2  // number: no fraction, no exponent

    var kind: Kind
    var flags: UInt8 = 0
    /// string: first byte after the quote; others: first byte of the value.
    var start: UInt32
    /// string: offset of the closing quote; number: one past its last byte;
    /// container: one past the closing bracket.
    var end: UInt32 = 0
    /// Index of the first node after this value's subtree.
    var next: UInt32 = 0
    /// Elements of an array, key/value pairs of an object.
    var count: UInt32 = 0
    /// Object: the key node where the next lookup starts (keys are usually asked for in
    /// document order, so lookups are O(1) then).
    var hint: UInt32 = 0
}

/// Builds the tape. Iterative (an explicit stack of open containers), so depth is
/// bounded by `maxDepth`, not by the thread's stack.
struct _JSONTapeBuilder {
    let input: UnsafePointer<UInt8>
    let length: Int
    let maxDepth: Int
    var position = 0
    var nodes: UnsafeMutablePointer<_JSONNode>
    var nodeCount = 0
    var nodeCapacity: Int

    init(input: UnsafePointer<UInt8>, length: Int, maxDepth: Int) {
        self.input = input
        self.length = length
        self.maxDepth = maxDepth
        nodeCapacity = Swift.min(length / 2 + 2, 256)
        nodes = .allocate(capacity: nodeCapacity)
    }

    func syntax(_ message: String, at offset: Int? = nil) -> EventJSONError {
        EventJSONError(.syntax, message, offset: offset ?? position)
    }

    mutating func addNode(_ kind: _JSONNode.Kind, start: Int, end: Int = 0, flags: UInt8 = 0) -> Int {
        if nodeCount == nodeCapacity {
            let newCapacity = nodeCapacity * 2
            let newNodes = UnsafeMutablePointer<_JSONNode>.allocate(capacity: newCapacity)
            newNodes.moveInitialize(from: nodes, count: nodeCount)
            nodes.deallocate()
            nodes = newNodes
            nodeCapacity = newCapacity
        }
        let index = nodeCount
        (nodes + index).initialize(
            to: _JSONNode(
                kind: kind, flags: flags, start: UInt32(truncatingIfNeeded: start),
                end: UInt32(truncatingIfNeeded: end), next: UInt32(truncatingIfNeeded: index + 1)))
        nodeCount += 1
        return index
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < length {
            switch input[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Parses the single JSON value that must make up the whole input.
    mutating func parse() throws {
        // The stack of open containers lives on the thread's stack (for usual depths).
        // Nesting cannot exceed the number of bytes, whatever `maxDepth` says.
        let capacity = Swift.max(1, Swift.min(maxDepth, length))
        try withUnsafeTemporaryAllocation(of: (node: Int, count: UInt32).self, capacity: capacity) {
            try parse(stack: $0)
        }
    }

    /// `stack[0..<depth]`: the open containers, with the entries completed in each.
    private mutating func parse(stack: UnsafeMutableBufferPointer<(node: Int, count: UInt32)>) throws {
        var depth = 0
        skipWhitespace()
        valueLoop: while true {
            guard position < length else {
                throw syntax(nodeCount == 0 ? "empty input" : "unexpected end of input, expected a value")
            }
            switch input[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = input[position] == UInt8(ascii: "{")
                guard depth < maxDepth, depth < stack.count else {
                    throw EventJSONError(.limitExceeded, "nesting deeper than \(maxDepth)", offset: position)
                }
                let index = addNode(isObject ? .object : .array, start: position)
                position += 1
                skipWhitespace()
                if position < length, input[position] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position += 1
                    close(index, count: 0)
                } else {
                    stack[depth] = (index, 0)
                    depth += 1
                    if isObject { try parseKey() }
                    continue valueLoop
                }
            case UInt8(ascii: "\""):
                try parseString()
            case UInt8(ascii: "t"):
                try parseLiteral("true", .true)
            case UInt8(ascii: "f"):
                try parseLiteral("false", .false)
            case UInt8(ascii: "n"):
                try parseLiteral("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try parseNumber()
            default:
                throw syntax("expected a value")
            }
            // A value is complete: it is an entry of the innermost open container, which
            // either continues after a comma or closes (completing a value of its parent).
            while depth > 0 {
                let top = depth - 1
                stack[top].count += 1
                let isObject = nodes[stack[top].node].kind == .object
                skipWhitespace()
                guard position < length else { throw syntax("unexpected end of input inside a container") }
                let byte = input[position]
                if byte == UInt8(ascii: ",") {
                    position += 1
                    skipWhitespace()
                    if isObject { try parseKey() }
                    continue valueLoop
                }
                guard byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw syntax(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
                position += 1
                depth = top
                close(stack[top].node, count: stack[top].count)
                if isObject { try checkDuplicateKeys(object: stack[top].node) }
            }
            break
        }
        skipWhitespace()
        guard position == length else { throw syntax("unexpected data after the JSON value") }
    }

    mutating func close(_ node: Int, count: UInt32) {
        nodes[node].end = UInt32(truncatingIfNeeded: position)
        nodes[node].next = UInt32(truncatingIfNeeded: nodeCount)
        nodes[node].count = count
        nodes[node].hint = UInt32(truncatingIfNeeded: node + 1)
    }

    /// `"key"` `:` — leaves `position` at the value.
    mutating func parseKey() throws {
        guard position < length, input[position] == UInt8(ascii: "\"") else {
            throw syntax(position < length ? "expected a string key" : "unexpected end of input, expected a key")
        }
        try parseString()
        skipWhitespace()
        guard position < length, input[position] == UInt8(ascii: ":") else { throw syntax("expected ':'") }
        position += 1
        skipWhitespace()
    }

    mutating func parseLiteral(_ text: StaticString, _ kind: _JSONNode.Kind) throws {
        let size = text.utf8CodeUnitCount
        guard length - position >= size else { throw syntax("invalid literal") }
        let literal = text.utf8Start
        for offset in 0..<size where input[position + offset] != literal[offset] {
            throw syntax("invalid literal", at: position + offset)
        }
        _ = addNode(kind, start: position, end: position + size)
        position += size
    }

    mutating func parseNumber() throws {
        let start = position
        var flags = _JSONNode.isInteger
        if input[position] == UInt8(ascii: "-") { position += 1 }
        func isDigit(_ at: Int) -> Bool {
            at < length && input[at] &- UInt8(ascii: "0") < 10
        }
        guard isDigit(position) else { throw syntax("expected a digit") }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(position) { throw syntax("leading zeros are not allowed") }
        } else {
            while isDigit(position) { position += 1 }
        }
        if position < length, input[position] == UInt8(ascii: ".") {
            flags = 0
            position += 1
            guard isDigit(position) else { throw syntax("expected a digit after '.'") }
            while isDigit(position) { position += 1 }
        }
        if position < length, input[position] | 0x20 == UInt8(ascii: "e") {
            flags = 0
            position += 1
            if position < length, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else { throw syntax("expected a digit in the exponent") }
            while isDigit(position) { position += 1 }
        }
        _ = addNode(.number, start: start, end: position, flags: flags)
    }

    /// A string at `position` (the opening quote): finds the closing quote, checks
    /// escapes, control characters and UTF-8.
    mutating func parseString() throws {
        let start = position + 1
        var index = start
        var flags: UInt8 = 0
        while true {
            // 8 bytes at a time while there is nothing but printable ASCII; then jump
            // straight to the first byte that is not (see `_jsonEscapeMask`).
            while index &+ 8 <= length {
                let word = UInt64(littleEndian: UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self))
                let stops = _jsonEscapeMask(word) | (word & 0x8080_8080_8080_8080)
                if stops != 0 {
                    index &+= stops.trailingZeroBitCount >> 3
                    break
                }
                index &+= 8
            }
            guard index < length else { throw syntax("unterminated string", at: start - 1) }
            let byte = input[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                flags = _JSONNode.hasEscapes
                index = try scanEscape(at: index)
            } else if byte < 0x20 {
                throw syntax("control characters in strings must be escaped", at: index)
            } else if byte >= 0x80 {
                index = try scanUTF8(at: index)
            } else {
                index += 1
            }
        }
        _ = addNode(.string, start: start, end: index, flags: flags)
        position = index + 1
    }

    /// Validates the escape at `at` (a backslash); returns the offset after it.
    func scanEscape(at: Int) throws -> Int {
        guard at + 1 < length else { throw syntax("unterminated string", at: at) }
        switch input[at + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return at + 2
        case UInt8(ascii: "u"):
            let unit = try hex4(at: at + 2)
            switch unit {
            case 0xD800...0xDBFF:
                guard at + 7 < length, input[at + 6] == UInt8(ascii: "\\"), input[at + 7] == UInt8(ascii: "u"),
                    case 0xDC00...0xDFFF = try hex4(at: at + 8)
                else {
                    throw EventJSONError(.invalidUTF8, "high surrogate escape without a low surrogate", offset: at)
                }
                return at + 12
            case 0xDC00...0xDFFF:
                throw EventJSONError(.invalidUTF8, "low surrogate escape without a high surrogate", offset: at)
            default:
                return at + 6
            }
        default:
            throw syntax("invalid escape", at: at)
        }
    }

    func hex4(at: Int) throws -> UInt32 {
        guard at + 4 <= length else { throw syntax("truncated \\u escape", at: at) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = _hexValue(input[at + offset]) else {
                throw syntax("invalid hex digit in \\u escape", at: at + offset)
            }
            value = value << 4 | digit
        }
        return value
    }

    /// Validates the UTF-8 sequence at `at` (Unicode Table 3-7: no overlongs, no
    /// surrogates, nothing above U+10FFFF); returns the offset after it.
    func scanUTF8(at: Int) throws -> Int {
        let lead = input[at]
        let size: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: size = 2
        case 0xE0:
            size = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: size = 3
        case 0xED:
            size = 3
            high = 0x9F
        case 0xF0:
            size = 4
            low = 0x90
        case 0xF1...0xF3: size = 4
        case 0xF4:
            size = 4
            high = 0x8F
        default: throw EventJSONError(.invalidUTF8, "invalid UTF-8 lead byte", offset: at)
        }
        guard at + size <= length else { throw EventJSONError(.invalidUTF8, "truncated UTF-8 sequence", offset: at) }
        let second = input[at + 1]
        guard second >= low, second <= high else {
            throw EventJSONError(.invalidUTF8, "invalid UTF-8 continuation byte", offset: at + 1)
        }
        for offset in 2..<Swift.max(size, 2) where input[at + offset] & 0xC0 != 0x80 {
            throw EventJSONError(.invalidUTF8, "invalid UTF-8 continuation byte", offset: at + offset)
        }
        return at + size
    }

    // MARK: Duplicate keys

    /// Throws if two keys of the just-closed `object` are equal (after unescaping).
    func checkDuplicateKeys(object: Int) throws {
        let pairs = Int(nodes[object].count)
        guard pairs > 1 else { return }
        let end = Int(nodes[object].next)
        if pairs <= 16 {
            // Small objects (nearly every event): compare all pairs, without allocating,
            // by a signature first (length and leading bytes; escaped keys always compare).
            try withUnsafeTemporaryAllocation(of: (key: Int, signature: UInt64).self, capacity: 16) { keys in
                var key = object + 1
                var found = 0
                while key < end, found < 16 {
                    keys[found] = (key, signature(of: key))
                    found += 1
                    key = Int(nodes[key + 1].next)
                }
                for later in 1..<found {
                    let signature = keys[later].signature
                    for earlier in 0..<later
                    where keys[earlier].signature == signature || keys[earlier].signature == 0 || signature == 0 {
                        if _sameKey(nodes, input, keys[earlier].key, keys[later].key) {
                            throw duplicate(keys[later].key)
                        }
                    }
                }
            }
            return
        }
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(pairs)
        var key = object + 1
        while key < end {
            if !seen.insert(_keyBytes(nodes, input, key)).inserted { throw duplicate(key) }
            key = Int(nodes[key + 1].next)
        }
    }

    /// Equal unescaped keys have equal signatures (length and first bytes); an escaped
    /// key has signature 0 and is compared in full with every other key.
    func signature(of key: Int) -> UInt64 {
        let node = nodes[key]
        guard node.flags & _JSONNode.hasEscapes == 0 else { return 0 }
        let length = Int(node.end &- node.start)
        var signature = UInt64(truncatingIfNeeded: length) << 48 | 1 << 63
        for offset in 0..<Swift.min(length, 6) {
            signature |= UInt64(input[Int(node.start) + offset]) << (offset * 8)
        }
        return signature
    }

    func duplicate(_ key: Int) -> EventJSONError {
        let name = String(decoding: _keyBytes(nodes, input, key), as: UTF8.self)
        return EventJSONError(.duplicateKey, "duplicate key \"\(name)\"", offset: Int(nodes[key].start) - 1)
    }
}

@inline(__always)
func _hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
    default: return nil
    }
}

/// The unescaped UTF-8 of string node `key`.
func _keyBytes(_ nodes: UnsafeMutablePointer<_JSONNode>, _ input: UnsafePointer<UInt8>, _ key: Int) -> [UInt8] {
    let node = nodes[key]
    let start = Int(node.start)
    let length = Int(node.end) - start
    guard node.flags & _JSONNode.hasEscapes != 0 else {
        return Array(UnsafeBufferPointer(start: input + start, count: length))
    }
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
        initialized = _unescape(input + start, length, into: buffer)
    }
}

/// Whether string nodes `a` and `b` hold the same text.
func _sameKey(_ nodes: UnsafeMutablePointer<_JSONNode>, _ input: UnsafePointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
    let first = nodes[a]
    let second = nodes[b]
    if (first.flags | second.flags) & _JSONNode.hasEscapes != 0 {
        return _keyBytes(nodes, input, a) == _keyBytes(nodes, input, b)
    }
    let length = Int(first.end &- first.start)
    guard length == Int(second.end &- second.start) else { return false }
    return _bytesEqual(input + Int(first.start), input + Int(second.start), length)
}

@inline(__always)
func _bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ length: Int) -> Bool {
    var offset = 0
    while offset &+ 8 <= length {
        if UnsafeRawPointer(a + offset).loadUnaligned(as: UInt64.self)
            != UnsafeRawPointer(b + offset).loadUnaligned(as: UInt64.self)
        {
            return false
        }
        offset &+= 8
    }
    while offset < length {
        if a[offset] != b[offset] { return false }
        offset &+= 1
    }
    return true
}

/// Unescapes the validated string content `source[0..<length]` into `output` (which has
/// room for `length` bytes: unescaping never grows a string); returns the bytes written.
func _unescape(_ source: UnsafePointer<UInt8>, _ length: Int, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
    var read = 0
    var write = 0
    func put(_ byte: UInt8) {
        guard write < output.count else { return }
        output[write] = byte
        write += 1
    }
    func hex(_ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 where at + offset < length {
            value = value << 4 | (_hexValue(source[at + offset]) ?? 0)
        }
        return value
    }
    while read < length {
        let byte = source[read]
        guard byte == UInt8(ascii: "\\"), read + 1 < length else {
            put(byte)
            read += 1
            continue
        }
        let escaped = source[read + 1]
        read += 2
        switch escaped {
        case UInt8(ascii: "b"): put(0x08)
        case UInt8(ascii: "f"): put(0x0C)
        case UInt8(ascii: "n"): put(0x0A)
        case UInt8(ascii: "r"): put(0x0D)
        case UInt8(ascii: "t"): put(0x09)
        case UInt8(ascii: "u"):
            var scalar = hex(read)
            read += 4
            if scalar >= 0xD800, scalar <= 0xDBFF, read + 6 <= length {
                // The tape builder guaranteed a low surrogate escape follows.
                let low = hex(read + 2)
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                read += 6
            }
            if scalar < 0x80 {
                put(UInt8(truncatingIfNeeded: scalar))
            } else if scalar < 0x800 {
                put(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            } else if scalar < 0x10000 {
                put(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            } else {
                put(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
                put(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
            }
        default:
            put(escaped)  // " \ /
        }
    }
    return write
}
