#!/bin/sh
# Before the restore stops anything: backup $BACKUP_KEY is complete (its
# manifest is there) and has an archive for every volume to restore.
# Env: REMOTE_ROOT, BACKUP_KEY, ARCHIVES (one per line), DRY_RUN.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

dir=$(key_dir "$BACKUP_KEY")
if ! rclone cat "$dir/manifest.sha256" > /tmp/manifest 2> /tmp/cat.err || [ ! -s /tmp/manifest ]; then
  cat /tmp/cat.err >&2
  log "backups at $REMOTE_ROOT:"
  rclone lsf --dirs-only "$REMOTE_ROOT" >&2 || true
  fail "$dir is no complete backup (it has no manifest.sha256): check backup.key and backup.target.*"
fi
if ! printf '%s\n' "$ARCHIVES" | missing_archives /tmp/manifest > /tmp/missing; then
  cat /tmp/missing >&2
  fail "backup $BACKUP_KEY has no archive for the volumes above: leave their nodes out (flow.backup.include, flow.<component>.backup.enabled=false)"
fi
echo "restore from $dir:"
printf '%s\n' "$ARCHIVES"
if [ "$DRY_RUN" = true ]; then
  echo "dry run: every archive is downloaded and checked against the manifest; nothing is stopped or written"
fi
