import CSQLiteConfig

/// The process's SQLite library settings (see `CSQLiteConfig.h`): multi-thread mode and no memory
/// statistics — measured ~5 % of the projection's apply path (a mutex around every connection,
/// statement and allocation call). They must be applied before SQLite's first use, so the entry
/// points call `configure()` first; `ProjectionStore.open` calls it too, for library users (tests),
/// where it is a no-op once SQLite is initialized.
public enum SQLiteSetup {
    /// The SQLite result of the one attempt (0 when the settings took effect).
    public static let result: Int32 = strongroom_sqlite_configure()

    /// Applies the settings unless SQLite is already in use; safe to call any number of times.
    @discardableResult
    public static func configure() -> Bool { result == 0 }
}
