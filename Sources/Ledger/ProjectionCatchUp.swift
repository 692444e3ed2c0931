import Journal
import Logging
import Projection

/// Brings the projection in line with the journal at start: caught up from its last sequence
/// number, or rebuilt from scratch when it does not belong to this journal's history (it is ahead of
/// the journal, or its chain link differs — e.g. after a restore from an older backup).
enum ProjectionCatchUp {
    static func openCaughtUp(
        path: String, dataDirectory: String, journalLastSequence: UInt64, logger: Logger
    ) throws
        -> ProjectionStore
    {
        let reader = try JournalReader(dataDirectory: dataDirectory, limit: journalLastSequence)
        var store = try ProjectionStore.open(path: path)
        let state = try store.state()
        var mismatch: String?
        if state.lastSequence > journalLastSequence {
            mismatch = "projection is at sequence \(state.lastSequence), the journal ends at \(journalLastSequence)"
        } else if state.lastSequence > 0 {
            var link: ChainLink?
            try reader.forEachWithLink(from: state.lastSequence, through: state.lastSequence) { _, l in
                link = l
                return false
            }
            if link != state.chainHead {
                mismatch = "projection's chain link at \(state.lastSequence) is not the journal's"
            }
        }
        if let mismatch {
            logger.warning("rebuilding the projection from the journal", metadata: ["reason": "\(mismatch)"])
            try store.checkpointAndClose()
            try ProjectionStore.remove(path: path)
            try ProjectionRebuilder.rebuild(reader: reader, into: path)
            store = try ProjectionStore.open(path: path)
        }
        let before = try store.state().lastSequence
        let after = try ProjectionRebuilder.catchUp(store: store, reader: reader).lastSequence
        if after > before {
            logger.info("projection caught up from the journal", metadata: ["from": "\(before)", "to": "\(after)"])
        }
        return store
    }
}
