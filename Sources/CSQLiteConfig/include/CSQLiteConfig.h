#ifndef STRONGROOM_CSQLITECONFIG_H
#define STRONGROOM_CSQLITECONFIG_H

/// Configures the process's SQLite library before its first use (sqlite3_config is variadic, so
/// Swift cannot call it): multi-thread mode — no mutex on each connection and statement call,
/// because every connection Strongroom opens is used by one thread at a time (GRDB serializes its
/// connections; the point readers are per thread) — and no memory-usage statistics (a global
/// mutex on every allocation). Returns 0 when applied, or the SQLite error code (SQLITE_MISUSE
/// when SQLite was already initialized: then nothing changed, which is safe, only slower).
int strongroom_sqlite_configure(void);

#endif
