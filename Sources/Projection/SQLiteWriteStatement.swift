// The projection's hot path binds through the SQLite C API: GRDB's boxed `StatementArguments` cost
// ~5 µs per statement here, SQLite itself ~1.5 µs per insert. GRDB links the system libsqlite3
// through its `GRDBSQLite` system module, which this file uses so both see one SQLite.
import GRDBSQLite

/// A prepared write statement on one connection, for the life of one transaction.
final class SQLiteWriteStatement {
    private let statement: OpaquePointer
    private let connection: OpaquePointer
    private var index: Int32 = 0

    /// `SQLITE_TRANSIENT`: SQLite copies what it is given (the C macro does not import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(connection: OpaquePointer, sql: String) throws {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v2(connection, sql, -1, &prepared, nil)
        guard rc == SQLITE_OK, let prepared else {
            throw ProjectionError.sqlite(code: rc, message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        self.statement = prepared
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    @inline(__always) func bind(_ value: String) {
        index += 1
        var v = value
        v.withUTF8 { buffer in
            _ = sqlite3_bind_text(
                statement, index, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                Int32(buffer.count), Self.transient)
        }
    }

    @inline(__always) func bind(_ value: String?) {
        if let value { bind(value) } else { bindNull() }
    }

    @inline(__always) func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement, index, value)
    }

    @inline(__always) func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    @inline(__always) func bindNull() {
        index += 1
        sqlite3_bind_null(statement, index)
    }

    /// Runs the statement with the values bound since the last run.
    func run() throws {
        defer {
            sqlite3_reset(statement)
            index = 0
        }
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE else {
            throw ProjectionError.sqlite(
                code: rc, message: String(cString: sqlite3_errmsg(connection)),
                sql: sqlite3_sql(statement).map { String(cString: $0) } ?? "")
        }
    }
}
