#!/bin/sh
# Second half of a restore, once every volume of the run is staged: puts the
# staged content of the volume of $STATEFULSET (mounted at DATA_DIR) in place
# of the old content. Killed at any point, it is finished by the next settle.
# Env: DATA_DIR, STATEFULSET.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

finish_swap "$DATA_DIR" ""
echo "$STATEFULSET: restored ($(head -n 1 "$DATA_DIR/$RESTORED_NAME"))"
