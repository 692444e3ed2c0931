/// One open value slot of the streaming encoder.
///
/// The encoder writes JSON while the Codable calls happen, so it keeps a stack of
/// "frames": one per value being written whose closing bracket is still owed. A parent
/// writes `"key":`, pushes a frame and calls `value.encode(to:)`; the first container
/// the child opens decides what the frame is (keyed writes `{`, unkeyed `[`, single value
/// nothing) and the parent pops the frame afterwards, writing `}`/`]` (or `{}` when the
/// value opened no container, as Foundation does).
@usableFromInline
struct _EncodingFrame {
    enum Kind: UInt8 {
        case empty, keyed, unkeyed, single, singleDone
    }

    var kind: Kind = .empty
    /// Entries written so far (for commas and array indices).
    var count = 0
    /// Identifies this frame; containers hold it to detect use after the frame closed.
    let serial: UInt32
    /// Start of this frame's entries in `sortEntries` when it is a dictionary whose keys
    /// must be sorted at close; -1 otherwise.
    var sortBase = -1
    /// Position in the parent, for coding paths: the output offset of the key under which
    /// this value is written, or its array index, or neither (-1: root, or a value
    /// encoded through a single value container). Keys are read back from the output
    /// only when an error needs the path, so no `CodingKey` is stored on the hot path.
    let keyOffset: Int
    let index: Int
    /// Output offset of the key of this (keyed) frame's latest entry.
    var entryKeyOffset = -1
}

/// A dictionary entry already written, to be moved into key order when the object closes.
struct _SortEntry {
    let key: String
    let start: Int
}

/// The mutable state of one `encode` call: the output bytes and the frame stack.
///
/// Hot state is kept in manually managed buffers and marked `@exclusivity(unchecked)`:
/// one `encode` call uses the object, on one thread, and the dynamic
/// exclusivity checks of class properties (thread-local bookkeeping per access) and
/// Array copy-on-write checks were a large part of the encoding time.
@usableFromInline
final class _EventJSONEncoderState {
    @exclusivity(unchecked) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) var capacity: Int
    @exclusivity(unchecked) var frames: UnsafeMutablePointer<_EncodingFrame>
    @exclusivity(unchecked) var frameCount = 0
    @exclusivity(unchecked) var frameCapacity = 16
    @exclusivity(unchecked) var nextSerial: UInt32 = 1
    /// Number of currently open JSON arrays/objects.
    @exclusivity(unchecked) var depth = 0
    let maxDepth: Int
    var sortEntries: [_SortEntry] = []
    /// First misuse found in a non-throwing call (container requests); thrown at the end.
    var deferredError: EventJSONError?
    /// Set only while finding the key type `Dictionary` uses (see `_dictionaryKeyType`).
    let isProbe: Bool
    var probedKeyType: ObjectIdentifier?

    @usableFromInline
    init(maxDepth: Int, isProbe: Bool = false, capacity: Int = 512, frameCapacity: Int = 16) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        self.frameCapacity = frameCapacity
        frames = .allocate(capacity: frameCapacity)
        self.maxDepth = maxDepth
        self.isProbe = isProbe
    }

    deinit {
        base.deallocate()
        frames.deinitialize(count: frameCount)
        frames.deallocate()
    }

    /// Appends the finished output to `buffer`, or throws a misuse found on the way.
    @usableFromInline
    func finish(into buffer: inout [UInt8]) throws {
        try finish()
        buffer.append(contentsOf: output)
    }

    /// Closes what is open, or throws a misuse found on the way; the JSON is then `output`.
    func finish() throws {
        try closeFrames(above: -1)
        if let deferredError { throw deferredError }
    }

    /// The bytes written so far (valid while this state lives).
    var output: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    // MARK: Frames

    /// Opens a frame for the value the innermost frame is writing now (its latest entry).
    @usableFromInline
    func pushFrame() -> (frame: Int, serial: UInt32) {
        let serial = nextSerial
        nextSerial &+= 1
        if nextSerial == 0 { nextSerial = 1 }  // 0 marks a container that never worked
        if frameCount == frameCapacity {
            let newFrames = UnsafeMutablePointer<_EncodingFrame>.allocate(capacity: frameCapacity * 2)
            newFrames.moveInitialize(from: frames, count: frameCount)
            frames.deallocate()
            frames = newFrames
            frameCapacity *= 2
        }
        var keyOffset = -1
        var index = -1
        if frameCount > 0 {
            let parent = frames[frameCount - 1]
            if parent.kind == .keyed {
                keyOffset = parent.entryKeyOffset
            } else if parent.kind == .unkeyed {
                index = parent.count - 1
            }
        }
        (frames + frameCount).initialize(to: _EncodingFrame(serial: serial, keyOffset: keyOffset, index: index))
        frameCount += 1
        return (frameCount - 1, serial)
    }

    /// Closes every frame above `frame`, writing the brackets they still owe.
    @usableFromInline
    func closeFrames(above frame: Int) throws {
        while frameCount - 1 > frame {
            frameCount -= 1
            let top = (frames + frameCount).move()
            switch top.kind {
            case .empty, .single:
                writeByte(UInt8(ascii: "{"))
                writeByte(UInt8(ascii: "}"))
            case .keyed:
                if top.sortBase >= 0 { try sortEntries(of: top) }
                writeByte(UInt8(ascii: "}"))
                depth -= 1
            case .unkeyed:
                writeByte(UInt8(ascii: "]"))
                depth -= 1
            case .singleDone:
                break
            }
        }
    }

    /// Makes `frame` the innermost open frame (closing finished nested values) and
    /// checks that the container using it is still current.
    @inline(__always)
    func enter(_ frame: Int, _ serial: UInt32) throws {
        if frameCount - 1 != frame { try closeFrames(above: frame) }
        guard frame >= 0, frame < frameCount, frames[frame].serial == serial else {
            throw EventJSONError(
                .unsupported,
                "container used after a sibling value was started, or after it was closed "
                    + "(the streaming encoder needs containers used in nesting order)",
                codingPath: codingPath(frame: Swift.min(frame, frameCount - 1))._eventJSONDescription)
        }
    }

    /// Opens a container of `kind` in `frame`; returns the serial the container must use,
    /// or 0 (a container that throws on use) after recording the misuse.
    func open(_ kind: _EncodingFrame.Kind, _ frame: Int, _ serial: UInt32, keyType: ObjectIdentifier? = nil) -> UInt32 {
        do {
            try enter(frame, serial)
        } catch {
            record(error)
            return 0
        }
        let current = frames[frame].kind
        if current == kind || (kind == .single && current == .singleDone) { return serial }
        guard current == .empty else {
            record(
                EventJSONError(
                    .unsupported, "a value asked for a \(kind) container after using a \(current) container",
                    codingPath: codingPath(frame: frame)._eventJSONDescription))
            return 0
        }
        switch kind {
        case .keyed, .unkeyed:
            guard depth < maxDepth else {
                record(
                    EventJSONError(
                        .limitExceeded, "nesting deeper than \(maxDepth)",
                        codingPath: codingPath(frame: frame)._eventJSONDescription))
                return 0
            }
            depth += 1
            writeByte(kind == .keyed ? UInt8(ascii: "{") : UInt8(ascii: "["))
            if kind == .keyed, let keyType {
                if isProbe {
                    probedKeyType = keyType
                } else if keyType == _dictionaryKeyType {
                    frames[frame].sortBase = sortEntries.count
                }
            }
        case .empty, .single, .singleDone:
            break
        }
        frames[frame].kind = kind
        return serial
    }

    func record(_ error: any Error) {
        guard deferredError == nil else { return }
        deferredError =
            error as? EventJSONError
            ?? EventJSONError(.unsupported, "\(error)")
    }

    // MARK: Entries

    /// Starts the entry `key` of the keyed container in `frame`: comma, `"key":`.
    func beginEntry(_ frame: Int, _ serial: UInt32, _ key: String) throws {
        try enter(frame, serial)
        let entries = frames[frame].count
        frames[frame].count = entries + 1
        let keyStart = entries > 0 ? count + 1 : count
        frames[frame].entryKeyOffset = keyStart
        if frames[frame].sortBase >= 0 { sortEntries.append(_SortEntry(key: key, start: keyStart)) }
        writeKey(key, comma: entries > 0)
    }

    /// Starts the next element of the unkeyed container in `frame`.
    func beginElement(_ frame: Int, _ serial: UInt32) throws {
        try enter(frame, serial)
        let index = frames[frame].count
        frames[frame].count = index + 1
        if index > 0 { writeByte(UInt8(ascii: ",")) }
    }

    /// Claims the single value of `frame`.
    func beginSingle(_ frame: Int, _ serial: UInt32) throws {
        try enter(frame, serial)
        guard frames[frame].kind == .single else {
            throw EventJSONError(
                .unsupported, "single value container already holds a value",
                codingPath: codingPath(frame: frame)._eventJSONDescription)
        }
        frames[frame].kind = .singleDone
    }

    /// The coding path of the value in `frame`.
    func codingPath(frame: Int) -> [any CodingKey] {
        var path: [any CodingKey] = []
        guard frame >= 0, frameCount > 0 else { return path }
        for position in 0...Swift.min(frame, frameCount - 1) {
            let item = frames[position]
            if item.keyOffset >= 0 {
                path.append(_EventJSONKey(stringValue: keyText(at: item.keyOffset)))
            } else if item.index >= 0 {
                path.append(_EventJSONKey(intValue: item.index))
            }
        }
        return path
    }

    /// The coding path of the entry being written in the innermost frame.
    func currentPath() -> [any CodingKey] {
        var path = codingPath(frame: frameCount - 1)
        if frameCount > 0 {
            let top = frames[frameCount - 1]
            if top.kind == .keyed, top.entryKeyOffset >= 0 {
                path.append(_EventJSONKey(stringValue: keyText(at: top.entryKeyOffset)))
            } else if top.kind == .unkeyed, top.count > 0 {
                path.append(_EventJSONKey(intValue: top.count - 1))
            }
        }
        return path
    }

    /// Reads back the key whose opening quote is at output offset `offset`.
    func keyText(at offset: Int) -> String {
        guard offset >= 0, offset < count, base[offset] == UInt8(ascii: "\"") else { return "?" }
        var end = offset + 1
        while end < count, base[end] != UInt8(ascii: "\"") {
            end += base[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        let length = Swift.min(end, count) - (offset + 1)
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            initialized = _unescape(base + offset + 1, length, into: buffer)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func invalidValue(_ value: Any, _ why: String) -> EncodingError {
        EncodingError.invalidValue(value, EncodingError.Context(codingPath: currentPath(), debugDescription: why))
    }
}
