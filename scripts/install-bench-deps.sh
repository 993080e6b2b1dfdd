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

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
