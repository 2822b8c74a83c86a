#!/bin/sh
# Before the backup stops anything: the target answers with the configured
# credentials, and backup key $BACKUP_KEY is not a complete backup already (a
# backup never overwrites another). Writes <key>/plan.txt, which also proves
# that the credentials may write. With DRY_RUN=true it only reads, and prints
# the plan.
# Env: REMOTE_ROOT, BACKUP_KEY, PLAN (one "archive <- volume claim" per line),
# DRY_RUN.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dir=$(key_dir "$BACKUP_KEY")
status=0
rclone lsf "$dir" > /tmp/listing 2> /tmp/lsf.err || status=$?
case $status in
  0)
    if backup_complete < /tmp/listing; then
      fail "$dir is a complete backup already: a backup never overwrites another; choose another backup.key"
    fi
    if [ -s /tmp/listing ]; then
      log "$dir holds an incomplete backup (no manifest.sha256): its archives are replaced"
    fi
    ;;
  3) ;; # directory not found (bucket stores say so of a missing bucket too: the write below tells)
  *)
    cat /tmp/lsf.err >&2
    fail "cannot list $dir (rclone exit $status): check backup.target.* and the credentials in backup.target.secret"
    ;;
esac

echo "backup $BACKUP_KEY to $dir:"
printf '%s\n' "$PLAN"
if [ "$DRY_RUN" = true ]; then
  echo "dry run: nothing is stopped, copied or written"
  exit 0
fi
printf '%s\n' "$PLAN" | rclone rcat "$dir/plan.txt" \
  || fail "cannot write $dir/plan.txt: the credentials must allow writing to backup.target.bucket"
