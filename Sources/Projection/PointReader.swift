// Point reads of the projection through the SQLite C API, for the protocol's hot path: a GRDB
// `DatabasePool.read` costs a dispatch-queue hop and a BEGIN/COMMIT per call, ~10x the point query
// itself (measured with `strongroom-bench flows`). A single SELECT in autocommit mode is atomic.
import Foundation
import GRDBSQLite
import Synchronization

/// A value read from or bound to SQLite.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    public var string: String? { if case .text(let s) = self { s } else { nil } }
    public var int64: Int64? { if case .integer(let i) = self { i } else { nil } }
}

/// Read-only connections to the projection, each with its statements prepared once; a connection is
/// taken for one query and put back (at most ``connectionsMax`` open, more callers wait briefly by
/// opening a temporary one).
final class PointReader: Sendable {
    static let connectionsMax = 8

    final class Connection: @unchecked Sendable {
        let handle: OpaquePointer
        var statements: [String: OpaquePointer] = [:]

        init(path: String) throws {
            var handle: OpaquePointer?
            let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
            guard rc == SQLITE_OK, let handle else {
                if let handle { sqlite3_close_v2(handle) }
                throw ProjectionError.sqlite(code: rc, message: "cannot open \(path) for reading", sql: "")
            }
            sqlite3_busy_timeout(handle, 5_000)
            self.handle = handle
        }

        deinit {
            for statement in statements.values { sqlite3_finalize(statement) }
            sqlite3_close_v2(handle)
        }

        func statement(_ sql: String) throws -> OpaquePointer {
            if let cached = statements[sql] { return cached }
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else {
                throw ProjectionError.sqlite(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
            }
            statements[sql] = prepared
            return prepared
        }
    }

    private let path: String
    private let idle = Mutex<[Connection]>([])

    init(path: String) { self.path = path }

    /// Runs `sql` with `arguments` and returns every row (columns in SELECT order).
    func rows(_ sql: String, _ arguments: [SQLiteValue]) throws -> [[SQLiteValue]] {
        let connection = try idle.withLock { $0.popLast() } ?? Connection(path: path)
        defer {
            idle.withLock { pool in
                if pool.count < Self.connectionsMax { pool.append(connection) }
            }
        }
        let statement = try connection.statement(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            switch argument {
            case .null: sqlite3_bind_null(statement, index)
            case .integer(let value): sqlite3_bind_int64(statement, index, value)
            case .text(let value):
                var text = value
                text.withUTF8 { buffer in
                    _ = sqlite3_bind_text(
                        statement, index,
                        buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                        Int32(buffer.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                }
            }
        }
        var result: [[SQLiteValue]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw ProjectionError.sqlite(
                    code: rc, message: String(cString: sqlite3_errmsg(connection.handle)), sql: sql)
            }
            let count = sqlite3_column_count(statement)
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(count))
            for column in 0..<count {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_NULL: row.append(.null)
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                default:
                    if let text = sqlite3_column_text(statement, column) {
                        let length = Int(sqlite3_column_bytes(statement, column))
                        row.append(
                            .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
                    } else {
                        row.append(.null)
                    }
                }
            }
            result.append(row)
        }
        return result
    }

    func row(_ sql: String, _ arguments: [SQLiteValue]) throws -> [SQLiteValue]? {
        try rows(sql, arguments).first
    }
}
