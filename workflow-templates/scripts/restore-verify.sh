#!/bin/sh
# Downloads archive <key>/$ARCHIVE and checks its sha256 against the backup's
# manifest, before the restore touches any volume.
# Env: REMOTE_ROOT, BACKUP_KEY, ARCHIVE.
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
{ rclone cat "$dir/$ARCHIVE" || touch "$tmp/download-failed"; } | sha256sum > "$tmp/sum"
[ ! -e "$tmp/download-failed" ] || fail "cannot download $dir/$ARCHIVE"
got=$(cut -d ' ' -f 1 < "$tmp/sum")
# Object stores answer `cat` of a missing object with nothing (the sha256
# below); a gzip stream is never empty.
[ "$got" != e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ] || fail "$dir/$ARCHIVE is missing (or empty)"
[ "$got" = "$want" ] \
  || fail "$dir/$ARCHIVE has sha256 $got, the manifest says $want: the archive is damaged; no volume was touched"
echo "$dir/$ARCHIVE: sha256 $got, as the manifest says"
