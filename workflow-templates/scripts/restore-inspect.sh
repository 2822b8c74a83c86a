#!/bin/sh
# Where a restore stands on the data volume of $STATEFULSET (mounted
# read-only at DATA_DIR): writes its restore_state line to /tmp/state, for
# restore-settle to judge with those of the run's other volumes.
# Env: DATA_DIR, CLAIM, STATEFULSET.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

restore_state "$DATA_DIR" "$CLAIM" > /tmp/state
echo "$STATEFULSET: $(cat /tmp/state)"
