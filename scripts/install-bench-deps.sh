#!/usr/bin/env bash
# Install what `make bench` needs beyond scripts/install-deps.sh: the peer
# encrypting filesystems (eCryptfs, gocryptfs, fscrypt through a small C
# helper), the workload tools (fio, sysbench, MariaDB) and gnuplot for the
# chart. Kept apart so `make test` stays lean.
set -euo pipefail

packages=(
  gcc libc6-dev
  ecryptfs-utils keyutils
  gocryptfs fuse3
  fio
  sysbench mariadb-server mariadb-client
  gnuplot-nox
)

exec "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" "${packages[@]}"
