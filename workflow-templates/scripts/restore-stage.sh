#!/bin/sh
# First half of a restore, on the data volume of a stopped node (mounted at
# DATA_DIR): extracts archive <key>/$ARCHIVE into the volume's staging folder
# while it is hashed, and marks it staged only when the hash matches the
# manifest. The node's content is not touched: restore-swap puts the staged
# content in place, once every volume of the run is staged (see
# settle_decision in backup-lib.sh for a run that stops in between).
# Env: DATA_DIR, REMOTE_ROOT, BACKUP_KEY, ARCHIVE, KIND (peer, couchdb,
# orderer, ca), FORCE, STATEFULSET, RUN_ID, RUN_CLAIMS (every claim of the
# run, comma-separated).
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dir=$(key_dir "$BACKUP_KEY")
tmp=$(mktemp -d)
want=$(manifest_want "$dir" "$ARCHIVE" "$tmp")
content=$(volume_content "$KIND" "$DATA_DIR")
if ! restore_allowed "$content" "$FORCE" && ! finished_here "$DATA_DIR" "$BACKUP_KEY" "$RUN_ID"; then
  fail "the volume of $STATEFULSET holds channel data: a restore replaces it only with restore.force=true. It was not touched."
fi
echo "volume of $STATEFULSET: $content; staging $dir/$ARCHIVE"

discard_staging "$DATA_DIR"
staging="$DATA_DIR/$STAGING_NAME"
mkdir -p "$staging/data"
printf '%s %s %s\n' "$RUN_ID" "$BACKUP_KEY" "$RUN_CLAIMS" > "$staging/run"
mkfifo "$tmp/archive"
sha256sum < "$tmp/archive" > "$tmp/sum" &
hasher=$!
# `cat` drains what tar leaves unread, so tee hashes the whole download.
if ! { rclone cat "$dir/$ARCHIVE" || touch "$tmp/download-failed"; } \
  | tee "$tmp/archive" | { tar -xzf - --numeric-owner -C "$staging/data" && cat > /dev/null; }; then
  wait "$hasher" || true
  discard_staging "$DATA_DIR"
  fail "cannot extract $dir/$ARCHIVE: the old content of the volume was kept"
fi
wait "$hasher"
got=$(cut -d ' ' -f 1 < "$tmp/sum")
if [ -e "$tmp/download-failed" ] || [ "$got" != "$want" ]; then
  discard_staging "$DATA_DIR"
  fail "$dir/$ARCHIVE downloaded with sha256 '$got', the manifest says $want: the old content of the volume was kept"
fi
sync
printf '%s\n' "$got" > "$staging/staged"
sync
echo "$STATEFULSET: staged $dir/$ARCHIVE (sha256 $got)"
