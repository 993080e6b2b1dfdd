#!/bin/bash
# Memory-mapped I/O on encrypted files: a MAP_SHARED writable mapping
# (write, msync, munmap, drop caches, read back, and the lower file holds
# no plaintext), and SQLite in WAL mode through python3's sqlite3 (it maps
# the -shm file): 10,000 rows in transactions, reopen, count and
# integrity_check.
# vm-timeout: 700
source "$(dirname "$0")/lib/crypt.bash"

IO=(/usr/bin/python3 "$TOOLS/crypt_io.py")

setup_crypt_env
start_real_agent

check "shared writable mapping" "ok mmap shared write" "$("${IO[@]}" mmap "$GP/mapped" 2>&1)"
sync
check_stored mapped $((3 * UNIT + 100)) "MMAP-FIRST"

mkdir "$GP/db"
check "sqlite in WAL mode" "ok sqlite 10000 rows" "$("${IO[@]}" sqlite "$GP/db" 10000 2>&1)"
sync
for f in "$LOWER"/db/*; do
	check "$(basename "$f"): lower magic" "$MAGIC_HEX" "$(magic_of "$f")"
done
check "no row text in clear in the lower database" "0" \
	"$(cat "$LOWER"/db/* | grep -c -a -F 'row 1234 ' || true)"
stop_real_agent
start_real_agent
check "sqlite after a remount" "10000|ok" "$(/usr/bin/python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print("%d|%s" % (db.execute("SELECT count(*) FROM t").fetchone()[0],
                 db.execute("PRAGMA integrity_check").fetchone()[0]))
' "$GP/db/test.db" 2>&1)"
stop_real_agent
finish
