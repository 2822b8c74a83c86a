#!/bin/sh
# Puts archive <key>/$ARCHIVE on the data volume of a stopped node (mounted at
# DATA_DIR). Refuses a volume that holds channel data unless FORCE=true. The
# download is extracted into a staging folder on the volume while it is
# hashed; only when the hash matches the manifest does the staged data replace
# the old content (lost+found aside).
# Env: DATA_DIR, REMOTE_ROOT, BACKUP_KEY, ARCHIVE, KIND (peer, couchdb,
# orderer), FORCE, STATEFULSET.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dir=$(key_dir "$BACKUP_KEY")
tmp=$(mktemp -d)
rclone cat "$dir/manifest.sha256" > "$tmp/manifest" || fail "cannot read $dir/manifest.sha256"
want=$(manifest_sum "$ARCHIVE" < "$tmp/manifest") \
  || fail "the manifest of $dir does not list $ARCHIVE once"
content=$(volume_content "$KIND" "$DATA_DIR")
restore_allowed "$content" "$FORCE" \
  || fail "the volume of $STATEFULSET holds channel data: a restore replaces it only with restore.force=true. It was not touched."
echo "volume of $STATEFULSET: $content; restoring $dir/$ARCHIVE"

staging="$DATA_DIR/$STAGING_NAME"
rm -rf "$staging"
mkdir "$staging"
mkfifo "$tmp/archive"
sha256sum < "$tmp/archive" > "$tmp/sum" &
hasher=$!
# `cat` drains what tar leaves unread, so tee hashes the whole download.
if ! { rclone cat "$dir/$ARCHIVE" || touch "$tmp/download-failed"; } \
  | tee "$tmp/archive" | { tar -xzf - --numeric-owner -C "$staging" && cat > /dev/null; }; then
  wait "$hasher" || true
  rm -rf "$staging"
  fail "cannot extract $dir/$ARCHIVE: the old content of the volume was kept"
fi
wait "$hasher"
got=$(cut -d ' ' -f 1 < "$tmp/sum")
if [ -e "$tmp/download-failed" ] || [ "$got" != "$want" ]; then
  rm -rf "$staging"
  fail "$dir/$ARCHIVE downloaded with sha256 '$got', the manifest says $want: the old content of the volume was kept"
fi

for entry in "$DATA_DIR"/* "$DATA_DIR"/.[!.]* "$DATA_DIR"/..?*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  case ${entry##*/} in
    lost+found | "$STAGING_NAME") ;;
    *) rm -rf "$entry" ;;
  esac
done
for entry in "$staging"/* "$staging"/.[!.]* "$staging"/..?*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  mv "$entry" "$DATA_DIR"/
done
rmdir "$staging"
sync
echo "$STATEFULSET: restored $dir/$ARCHIVE (sha256 $got)"
