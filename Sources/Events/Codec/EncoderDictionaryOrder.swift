// Deterministic output for dictionaries.
//
// `Dictionary.encode(to:)` writes its entries in hash order, which differs from run to
// run. Every keyed Dictionary (String, Int or CodingKeyRepresentable keys) opens its
// container with the standard library's private `_DictionaryCodingKey` type, so the
// encoder recognises that key type (one pointer comparison per keyed container), lets
// the entries stream out as usual, remembers where each entry starts, and when the
// object closes moves the entries into ascending order of their keys' UTF-8 bytes.

/// The key type `Dictionary` uses for keyed containers, found once by encoding a
/// one-entry dictionary with a probe encoder.
let _dictionaryKeyType: ObjectIdentifier? = {
    let probe = _EventJSONEncoderState(maxDepth: 4, isProbe: true)
    let (frame, serial) = probe.pushFrame()
    try? ["": 0].encode(to: _EventJSONEncoderView(state: probe, frame: frame, serial: serial))
    return probe.probedKeyType
}()

extension _EventJSONEncoderState {
    /// Rewrites the entries of the closing dictionary `frame` in key order.
    func sortEntries(of frame: _EncodingFrame) throws {
        let first = frame.sortBase
        defer { sortEntries.removeSubrange(first...) }
        let entryCount = sortEntries.count - first
        guard entryCount > 1 else { return }
        let regionStart = sortEntries[first].start
        let regionEnd = count
        // Each entry runs from its start to the comma before the next entry.
        var spans: [(key: String, start: Int, end: Int)] = []
        spans.reserveCapacity(entryCount)
        for position in first..<sortEntries.count {
            let end = position + 1 < sortEntries.count ? sortEntries[position + 1].start - 1 : regionEnd
            spans.append((sortEntries[position].key, sortEntries[position].start, end))
        }
        spans.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for position in 1..<spans.count where spans[position].key.utf8.elementsEqual(spans[position - 1].key.utf8) {
            throw EventJSONError(
                .duplicateKey, "two dictionary keys encode as \"\(spans[position].key)\"",
                codingPath: codingPath(frame: frameCount - 1)._eventJSONDescription)
        }
        let regionLength = regionEnd - regionStart
        let original = UnsafeMutablePointer<UInt8>.allocate(capacity: regionLength)
        defer { original.deallocate() }
        original.update(from: base + regionStart, count: regionLength)
        var write = regionStart
        for (position, span) in spans.enumerated() {
            if position > 0 {
                base[write] = UInt8(ascii: ",")
                write += 1
            }
            let length = span.end - span.start
            (base + write).update(from: original + (span.start - regionStart), count: length)
            write += length
        }
    }
}
