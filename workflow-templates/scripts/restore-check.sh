#!/bin/sh
# After the restore stopped the nodes and before it replaces any volume: the
# data volume of $STATEFULSET (mounted read-only at DATA_DIR) may be replaced:
# it is empty or fresh (no channel yet), or FORCE=true.
# Env: DATA_DIR, KIND (peer, couchdb, orderer), FORCE, STATEFULSET.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

content=$(volume_content "$KIND" "$DATA_DIR")
restore_allowed "$content" "$FORCE" \
  || fail "the volume of $STATEFULSET holds channel data: a restore replaces it only with restore.force=true. No volume was touched; the nodes are started again."
echo "volume of $STATEFULSET: $content"
