#!/bin/sh
# Settles what a restore that stopped half-way left on the data volume of
# $STATEFULSET (mounted at DATA_DIR), by the states of all the run's volumes
# (settle_decision): finishes the swap when that restore had staged every
# volume, else drops its staging. Afterwards the volume holds either its old
# content or the complete restored one.
# Env: DATA_DIR, CLAIM, STATEFULSET, STATES (JSON list of restore_state
# lines, as Argo hands on a fanned-out step's outputs), RUN_ID.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

# The lines hold no quotes: each JSON string is one line.
printf '%s' "$STATES" | { grep -o '"[^"]*"' || true; } | tr -d '"' > /tmp/states
decision=$(settle_decision "$CLAIM" < /tmp/states)
case $decision in
  nothing) echo "$STATEFULSET: no restore pending" ;;
  adopt)
    printf 'finished-by %s\n' "$RUN_ID" >> "$DATA_DIR/$RESTORED_NAME"
    sync
    echo "$STATEFULSET: restored by the interrupted restore $(head -n 1 "$DATA_DIR/$RESTORED_NAME"), whose swap this run finishes on its other volumes"
    ;;
  finish)
    run=$(head -n 1 "$DATA_DIR/$STAGING_NAME/run")
    finish_swap "$DATA_DIR" "$RUN_ID"
    echo "$STATEFULSET: finished the swap of the interrupted restore $run: every volume of it was staged"
    ;;
  discard)
    discard_staging "$DATA_DIR"
    echo "$STATEFULSET: dropped the staging of a restore that did not stage all of its volumes; the old content is kept"
    ;;
  *) fail "settle_decision: $decision" ;;
esac
