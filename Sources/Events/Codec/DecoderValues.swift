// Decoding one value from its tape node. Common leaf types are read directly, without
// the Codable round trip through `init(from:)`; everything else gets a decoder view.

extension _EventJSONDecoderState {
    /// Decodes `T` from tape node `node`.
    @usableFromInline
    func decodeValue<T: Decodable>(_ type: T.Type, node: Int) throws -> T {
        // Metatype comparisons are pointer compares; `unsafeBitCast` is only reached
        // when `T` is exactly the type cast from.
        if T.self == String.self { return unsafeBitCast(try string(node), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try integer(node, Int.self), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try bool(node), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try integer(node, Int64.self), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try double(node), to: T.self) }
        if T.self == [String].self { return unsafeBitCast(try strings(node), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try integer(node, Int32.self), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try integer(node, UInt64.self), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try integer(node, UInt8.self), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try integer(node, UInt32.self), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try integer(node, UInt.self), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try float(node), to: T.self) }
        if let value = try decodeFoundationValue(T.self, node: node) { return value }
        return try T(from: _EventJSONDecoderView(state: self, node: node))
    }

    /// `[String]`, the most common array in events, without per-element Codable calls.
    func strings(_ node: Int) throws -> [String] {
        guard nodes[node].kind == .array else { throw mismatch(node, [String].self) }
        var result: [String] = []
        result.reserveCapacity(Int(nodes[node].count))
        var element = node + 1
        let end = Int(nodes[node].next)
        while element < end {
            result.append(try string(element))
            element = Int(nodes[element].next)
        }
        return result
    }
}
