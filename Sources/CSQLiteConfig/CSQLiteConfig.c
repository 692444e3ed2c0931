#include "CSQLiteConfig.h"

#include <sqlite3.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int strongroom_sqlite_configure(void) {
    int rc = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 1200, 1000);
}

void strongroom_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
