#!/bin/bash
# MariaDB with its data directory as a guard point: mariadbd running as
# mysql gets plaintext; root may set the directory up but not read file
# contents; tar gets the stored bytes; everything else is denied and
# audited. The datadir is installed through the guard point, the server
# writes a 1 MiB BLOB and rows over many pages, restarts and finds them
# intact; the lower files and a tar backup hold no marker in clear.
# InnoDB runs with its defaults (O_DIRECT, io_uring or libaio, doublewrite)
# except a 16 MiB buffer pool and an 8 MiB redo log, for speed and to fit
# the 256 MiB test disk.
# vm-timeout: 720
source "$(dirname "$0")/lib/apps.bash"

MYSQLD=/usr/sbin/mariadbd
# Socket, pid file, error log and temporary files live outside the guard
# point, in a directory of mysql's ($TMPDIR is root's).
DB_RUN=$RUN/mariadb
SOCK=$DB_RUN/mysqld.sock
ERR_LOG=$DB_RUN/error.log
DB_OPTS=(--innodb-buffer-pool-size=16M --innodb-log-file-size=8M --tmpdir="$DB_RUN")
MARKER="MARIADB-MARKER-$RANDOM-$RANDOM-takakrypt"
ROWS=20000
ARCHIVE=$WORK/datadir.tar
MYSQL_UID=$(id -u mysql)

write_mariadb_config() {
	{ config_head; cat; } >"$CONFIG" <<YAML
user_sets:
  - name: mysql
    users: [mysql]
  - name: root
    uids: [0]
process_sets:
  - name: mariadb-server
    processes:
      - path: $MYSQLD
  - name: backup
    processes:
      - path: /usr/bin/tar
policies:
  - name: mariadb-policy
    security_rules:
      - user_set: mysql
        process_set: mariadb-server
        action: all_ops
        effect: permit,applykey
      - process_set: backup
        action: read
        effect: permit,audit
      - user_set: root
        action: [d_rd, d_rd_att, d_chg_att, d_mkdir, f_rd_att]
        effect: permit
      - action: all_ops
        effect: deny,audit
    key_rules:
      - key: test-key
guard_points:
  - path: $GP
    policy: mariadb-policy
YAML
}

sql() { timeout -k 2 300 mariadb --no-defaults -S "$SOCK" -uroot -N -B "$@"; }

# start_server: as user mysql, as Debian's service unit starts it.
start_server() {
	local i
	setpriv --reuid=mysql --regid=mysql --clear-groups "$MYSQLD" \
		--no-defaults --datadir="$GP" --socket="$SOCK" \
		--pid-file="$DB_RUN/mysqld.pid" --log-error="$ERR_LOG" \
		--skip-networking "${DB_OPTS[@]}" </dev/null >/dev/null 2>&1 &
	for i in $(seq 1 600); do
		sql -e 'SELECT 1' >/dev/null 2>&1 && return 0
		[ -e /proc/$! ] || break
		sleep 0.5
	done
	fail "mariadbd did not come up; error log: $(tail -n 20 "$ERR_LOG")"
	return 1
}

stop_server() {
	local pid
	pid=$(cat "$DB_RUN/mysqld.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
}

# table_state: what the rows and the BLOB look like, as one line.
table_state() {
	sql tk -e "SELECT COUNT(*), SUM(CRC32(marker)), SUM(CRC32(pad)) FROM rows_t;
		SELECT LENGTH(body), SHA2(body, 256) FROM blobs;
		SELECT COUNT(*), SUM(CRC32(note)) FROM aria_t;" | paste -sd ' '
}

mariadb_cleanup() {
	stop_server
	cp "$ERR_LOG" "$TK_RESULTS/" 2>/dev/null
	crypt_cleanup
}
trap mariadb_cleanup EXIT

record_version mariadb-server
setup_crypt_env
write_mariadb_config
mkdir -p "$DB_RUN"
chown mysql: "$DB_RUN"
start_real_agent

t0=$(date +%s)
expect_ok "mariadb-install-db through the guard point" \
	timeout -k 2 400 mariadb-install-db --no-defaults --user=mysql \
	--datadir="$GP" --auth-root-authentication-method=socket \
	--skip-name-resolve --skip-test-db "${DB_OPTS[@]}"
say "figure: mariadb-install-db took $(elapsed "$t0") s"
check "datadir owned by mysql" "mysql" "$(stat -c %U "$GP")"
check "system tables installed" "yes" "$([ -e "$GP/mysql/user.frm" ] || [ -e "$GP/mysql/global_priv.MAI" ] && echo yes || echo no)"

t0=$(date +%s)
start_server
say "figure: first start took $(elapsed "$t0") s"
grep -E 'io_uring|native AIO|libaio|Linux native|buffers for log|log writes' "$ERR_LOG" | sed 's/^/tk-test: server: /'

t0=$(date +%s)
expect_ok "create database and tables" sql -e "
	CREATE DATABASE tk;
	CREATE TABLE tk.rows_t (id INT PRIMARY KEY, marker VARCHAR(80) NOT NULL,
		pad CHAR(200) NOT NULL) ENGINE=InnoDB;
	CREATE TABLE tk.blobs (id INT PRIMARY KEY, body LONGBLOB NOT NULL) ENGINE=InnoDB;
	CREATE TABLE tk.aria_t (id INT PRIMARY KEY, note VARCHAR(80) NOT NULL) ENGINE=Aria;"
expect_ok "insert $ROWS rows" sql tk -e "
	INSERT INTO tk.rows_t SELECT seq, CONCAT('$MARKER-row-', seq),
		REPEAT(CHAR(65 + seq % 26), 200) FROM seq_1_to_$ROWS;"
expect_ok "insert a 1 MiB BLOB" sql -e "
	INSERT INTO tk.blobs VALUES (1, REPEAT(CONCAT('$MARKER-blob-', SHA2('x', 256)), 11000));"
expect_ok "insert into an Aria table" sql tk -e "
	INSERT INTO tk.aria_t SELECT seq, CONCAT('$MARKER-aria-', seq) FROM seq_1_to_500;"
expect_ok "update and delete some rows" sql -e "
	UPDATE tk.rows_t SET pad = REPEAT('u', 200) WHERE id % 7 = 0;
	DELETE FROM tk.rows_t WHERE id % 1000 = 1;"
say "figure: writing the tables took $(elapsed "$t0") s"
check "BLOB is over 1 MiB" "yes" "$([ "$(sql -e 'SELECT LENGTH(body) FROM tk.blobs')" -gt 1048576 ] && echo yes || echo no)"
check "rows span many pages" "yes" "$([ "$(stat -c %s "$GP/tk/rows_t.ibd")" -ge $((4 * 1048576)) ] && echo yes || echo no)"
before=$(table_state)
say "state before restart: $before"
check "row count" "$((ROWS - ROWS / 1000))" "${before%%[[:space:]]*}"

t0=$(date +%s)
stop_server
start_server
say "figure: restart took $(elapsed "$t0") s"
check "same rows and BLOB after restart" "$before" "$(table_state)"
check "a marker row reads back" "$MARKER-row-4242" "$(sql -e 'SELECT marker FROM tk.rows_t WHERE id = 4242')"
check "CHECK TABLE" "OK OK OK" "$(sql -e 'CHECK TABLE tk.rows_t, tk.blobs, tk.aria_t' | awk '{print $NF}' | paste -sd ' ')"
stop_server
cp "$ERR_LOG" "$TK_RESULTS/"
check "server log has no InnoDB error" "0" "$(grep -c -E '\[ERROR\]' "$ERR_LOG")"

# Nothing in clear on the disk.
sync
check "lower files: no marker in clear" "0" "$(clear_hits "$MARKER" "$LOWER")"
check "lower files: every non-empty file is stored encrypted" "ok" "$(all_stored "$LOWER")"

# Shells of root and of mysql are denied the contents, and audited.
expect_denied "root cat of a data file" cat "$GP/tk/rows_t.ibd"
expect_denied "root cp of ibdata1" cp "$GP/ibdata1" "$WORK/ibdata1.copy"
expect_denied "mysql cat of a data file" as_user mysql cat "$GP/tk/blobs.ibd"
expect_denied "mysql cp of the redo log" as_user mysql cp "$GP/ib_logfile0" "$WORK/log.copy"
check "root can still list the datadir" "1" "$(ls "$GP" | grep -cx ibdata1)"
check "audit: root cat f_rd" "yes" "$(audit_has 0 /usr/bin/cat f_rd /tk/rows_t.ibd denied)"
check "audit: root cp f_rd" "yes" "$(audit_has 0 /usr/bin/cp f_rd /ibdata1 denied)"
check "audit: mysql cat f_rd" "yes" "$(audit_has "$MYSQL_UID" /usr/bin/cat f_rd /tk/blobs.ibd denied)"
# cp is refused already at its stat: mysql has no rule for attributes.
check "audit: mysql cp f_rd_att" "yes" "$(audit_has "$MYSQL_UID" /usr/bin/cp f_rd_att /ib_logfile0 denied)"

# A backup with tar holds the stored bytes only.
expect_ok "tar backs up the datadir" tar -C "$GP" -cf "$ARCHIVE" .
files=$(find "$LOWER" -type f -size +0 | wc -l)
check "archive: the magic once per non-empty file" "$files" "$(magic_count "$ARCHIVE")"
check "archive: no marker in clear" "0" "$(grep -c -a -F -- "$MARKER" "$ARCHIVE")"
check "audit: tar permitted with the stored bytes" "yes" "$(audit_has 0 /usr/bin/tar f_rd /tk/rows_t.ibd permitted)"

stop_real_agent
finish
