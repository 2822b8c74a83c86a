#!/bin/sh
# Archives the data volume of a stopped node (mounted read-only at DATA_DIR)
# into <key>/$ARCHIVE, streaming (no scratch space), and writes its sha256sum
# line next to it as $ARCHIVE.sha256. lost+found (and what an interrupted
# restore left) is left out.
# Env: DATA_DIR, REMOTE_ROOT, BACKUP_KEY, ARCHIVE.
set -eu
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dest="$(key_dir "$BACKUP_KEY")/$ARCHIVE"
cd "$DATA_DIR"
set --
for entry in ./* ./.[!.]* ./..?*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  case $entry in
    ./lost+found | "./$STAGING_NAME") ;; # the file system's, a restore's leftover
    *) set -- "$@" "$entry" ;;
  esac
done
[ $# -gt 0 ] || set -- --no-recursion .

# A stale checksum from an earlier, failed run must not outlive this archive.
rclone deletefile "$dest.sha256" 2> /dev/null || true
tmp=$(mktemp -d)
mkfifo "$tmp/archive"
sha256sum < "$tmp/archive" > "$tmp/sum" &
hasher=$!
{ tar -czf - --numeric-owner "$@" || touch "$tmp/tar-failed"; } | tee "$tmp/archive" | rclone rcat "$dest"
wait "$hasher"
[ ! -e "$tmp/tar-failed" ] || fail "tar failed on $DATA_DIR: $dest is incomplete"
sum=$(cut -d ' ' -f 1 < "$tmp/sum")
printf '%s  %s\n' "$sum" "$ARCHIVE" | rclone rcat "$dest.sha256"
echo "$dest: sha256 $sum"
