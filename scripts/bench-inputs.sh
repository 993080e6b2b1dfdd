#!/usr/bin/env bash
# The inputs of `make bench`'s guest, made once and cached in DIR: a
# tarball of a few thousand header files from /usr/include (~45 MB) with
# their md5 list, and a MariaDB data directory holding one sysbench table
# (made on the host, where it takes seconds instead of minutes under TCG).
#
# usage: scripts/bench-inputs.sh DIR [--db-rows N] [--tree-files N]
set -euo pipefail

dir=${1:?usage: scripts/bench-inputs.sh DIR [--db-rows N] [--tree-files N]}
shift
rows=10000 files=3000
while [ $# -gt 0 ]; do
	case $1 in
	--db-rows) rows=$2 ;;
	--tree-files) files=$2 ;;
	*) echo "bench-inputs: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift 2
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ ! -s "$dir/tree.tar" ] || [ "$(cat "$dir/tree.files" 2>/dev/null)" != "$files" ]; then
	list=$(mktemp)
	(cd /usr/include && find . -type f | LC_ALL=C sort | sed -n "s:^\./::;1,${files}p") >"$list"
	tar -C /usr/include -cf "$dir/tree.tar.new" -T "$list"
	(cd /usr/include && xargs -d '\n' md5sum <"$list") >"$dir/tree.md5.new"
	mv "$dir/tree.md5.new" "$dir/tree.md5"
	mv "$dir/tree.tar.new" "$dir/tree.tar"
	echo "$files" >"$dir/tree.files"
	rm -f "$list"
fi

if [ ! -s "$dir/db-template.rows" ] || [ "$(cat "$dir/db-template.rows")" != "$rows" ]; then
	tmp=$(mktemp -d)
	sock=$tmp/db.sock
	rm -rf "$dir/db-template" "$dir/db-template.rows"
	mariadb-install-db --no-defaults --datadir="$dir/db-template" --user=root --skip-test-db \
		--auth-root-authentication-method=normal --skip-name-resolve \
		--innodb-log-file-size=16M >"$tmp/install.log" 2>&1 ||
		{ cat "$tmp/install.log" >&2; exit 1; }
	mariadbd --no-defaults --datadir="$dir/db-template" --socket="$sock" --pid-file="$sock.pid" \
		--user=root --skip-networking --skip-grant-tables --innodb-buffer-pool-size=64M \
		--innodb-log-file-size=16M --innodb-flush-method=fsync --innodb-use-native-aio=0 \
		--skip-log-bin --log-error="$tmp/err.log" 2>>"$tmp/err.log" &
	pid=$!
	for _ in $(seq 1 150); do
		mariadb-admin -S "$sock" ping >/dev/null 2>&1 && break
		sleep 0.2
	done
	mariadb -S "$sock" -e 'CREATE DATABASE sbtest'
	sysbench oltp_read_write --db-driver=mysql --mysql-socket="$sock" --mysql-user=root \
		--mysql-db=sbtest --tables=1 --table-size="$rows" prepare >/dev/null
	mariadb-admin -S "$sock" shutdown
	wait "$pid"
	rm -rf "$tmp"
	echo "$rows" >"$dir/db-template.rows"
fi
