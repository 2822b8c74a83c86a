#!/bin/sh
# Completes backup $BACKUP_KEY: writes <key>/manifest.sha256 from the
# archives' .sha256 files. Runs only when every node's copy succeeded; a
# backup without a manifest is incomplete, and restore refuses it.
# Env: REMOTE_ROOT, BACKUP_KEY, ARCHIVES (one per line).
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dir=$(key_dir "$BACKUP_KEY")
: > /tmp/manifest
while read -r archive; do
  [ -n "$archive" ] || continue
  line=$(rclone cat "$dir/$archive.sha256") || fail "cannot read $dir/$archive.sha256"
  printf '%s\n' "$line" | manifest_sum "$archive" > /dev/null \
    || fail "$dir/$archive.sha256 does not describe $archive: '$line'"
  printf '%s\n' "$line" >> /tmp/manifest
done << ARCHIVES
$ARCHIVES
ARCHIVES
rclone rcat "$dir/manifest.sha256" < /tmp/manifest
cat /tmp/manifest
echo "backup $BACKUP_KEY is complete: $dir/manifest.sha256"
