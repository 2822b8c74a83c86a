#!/bin/sh
# After the restore stopped the nodes and settled what an earlier run left,
# before it stages anything: the data volume of $STATEFULSET (mounted
# read-only at DATA_DIR) may be replaced: it is empty or fresh (no channel
# yet), FORCE=true, or this run just finished an interrupted restore of the
# same backup on it.
# Env: DATA_DIR, KIND (peer, couchdb, orderer, ca), FORCE, STATEFULSET,
# BACKUP_KEY, RUN_ID.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

content=$(volume_content "$KIND" "$DATA_DIR")
if ! restore_allowed "$content" "$FORCE" && ! finished_here "$DATA_DIR" "$BACKUP_KEY" "$RUN_ID"; then
  fail "the volume of $STATEFULSET holds channel data: a restore replaces it only with restore.force=true. No volume was touched; the nodes are started again."
fi
echo "volume of $STATEFULSET: $content"
