#!/bin/sh
# Archives the data volume of a stopped node (mounted read-only at DATA_DIR)
# into <key>/$ARCHIVE, streaming (no scratch space), and writes its sha256sum
# line next to it as $ARCHIVE.sha256. lost+found and the restore's own files
# are left out; a volume on which a restore stopped while swapping (or
# ready to) is refused.
# Env: DATA_DIR, REMOTE_ROOT, BACKUP_KEY, ARCHIVE.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dest="$(key_dir "$BACKUP_KEY")/$ARCHIVE"
state=$(restore_state "$DATA_DIR" volume)
case $state in
  # A partial staging never touched the data; a staged or swapping one may
  # belong to a restore that has swapped other volumes already.
  "volume none" | "volume restored "* | "volume partial"*) ;;
  *) fail "a restore stopped half-way on this volume ($state): rerun that restore (fabchart flow restore with its backup.key and selection), which finishes or undoes it, then back up" ;;
esac
cd "$DATA_DIR"
set --
for entry in ./* ./.[!.]* ./..?*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  [ "$entry" != ./lost+found ] || continue
  is_restore_file "${entry#./}" || set -- "$@" "$entry"
done
[ $# -gt 0 ] || set -- --no-recursion .

tmp=$(mktemp -d)
# A stale checksum from an earlier, failed run must not outlive this archive.
# rclone exits 4 (file not found) or 3 (directory not found) when there is none.
status=0
rclone deletefile "$dest.sha256" 2> "$tmp/delete.err" || status=$?
case $status in
  0 | 3 | 4) ;;
  *)
    cat "$tmp/delete.err" >&2
    fail "cannot delete the old $dest.sha256 (rclone exit $status)"
    ;;
esac
mkfifo "$tmp/archive"
sha256sum < "$tmp/archive" > "$tmp/sum" &
hasher=$!
{ tar -czf - --numeric-owner "$@" || touch "$tmp/tar-failed"; } | tee "$tmp/archive" | rclone rcat "$dest"
wait "$hasher"
[ ! -e "$tmp/tar-failed" ] || fail "tar failed on $DATA_DIR: $dest is incomplete"
sum=$(cut -d ' ' -f 1 < "$tmp/sum")
printf '%s  %s\n' "$sum" "$ARCHIVE" | rclone rcat "$dest.sha256"
echo "$dest: sha256 $sum"
