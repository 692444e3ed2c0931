#ifndef STRONGROOM_CSQLITECONFIG_H
#define STRONGROOM_CSQLITECONFIG_H

/// Configures the process's SQLite library before its first use (sqlite3_config is variadic, so
/// Swift cannot call it): multi-thread mode — no mutex on each connection and statement call,
/// because every connection Strongroom opens is used by one thread at a time (GRDB serializes its
/// connections; the point readers are per thread) — and no memory-usage statistics (a global
/// mutex on every allocation). Returns 0 when applied, or the SQLite error code (SQLITE_MISUSE
/// when SQLite was already initialized: then nothing changed, which is safe, only slower).
int strongroom_sqlite_configure(void);

/// Returns the allocator's free memory to the system (glibc `malloc_trim`; nothing elsewhere). After
/// a bulk load shrinks SQLite's page cache, its pages are free but scattered in 4 KiB pieces that a
/// large buffer cannot reuse; this keeps them from staying in the process's resident memory.
void strongroom_release_free_memory(void);

#endif
