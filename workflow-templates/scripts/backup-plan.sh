#!/bin/sh
# Decides about one StatefulSet before the flow stops it: refuses one whose
# data is not on a PersistentVolumeClaim (stopping it would lose the data, or
# there is nothing to copy), and writes the replicas to start it again with to
# /tmp/replicas. With DRY_RUN=true it only says what the flow would do.
# Env: STATEFULSET, CLAIM (its PersistentVolumeClaim), VOLUME (the data
# volume's name), VALUES_KEY (the chart value that puts it on a claim), CLAIMS
# (its claim templates), CLAIM_PHASE (phase of the step that read the claim),
# RESUME (the resume annotation), REPLICAS (spec.replicas), DRY_RUN.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

state=$(volume_state "$CLAIMS" "$VOLUME" "$CLAIM_PHASE")
case $state in
  emptydir)
    fail "$STATEFULSET keeps its data in an emptyDir ($VALUES_KEY is false): stopping it would lose that data, so the flow refuses it. Turn on $VALUES_KEY in the chart values (the node then starts on a new, empty volume), or leave the node out (flow.backup.include, flow.<component>.backup.enabled=false)."
    ;;
  unclaimed)
    fail "$STATEFULSET has no PersistentVolumeClaim $CLAIM: it has not run a pod since $VALUES_KEY was turned on. Start it once (launchPods), or leave it out (flow.backup.include)."
    ;;
esac
resume_with=$(replicas_to_resume "$RESUME" "$REPLICAS") \
  || fail "$STATEFULSET: cannot tell the replicas to start it again with (annotation '$RESUME', spec.replicas '$REPLICAS')"
printf '%s' "$resume_with" > /tmp/replicas
if [ "$DRY_RUN" = true ]; then
  echo "would stop $STATEFULSET (replicas $resume_with), use its volume claim $CLAIM, and start it again"
elif [ -n "$RESUME" ]; then
  echo "$STATEFULSET was left stopped by an earlier run: it is started again with $resume_with replicas"
else
  echo "stopping $STATEFULSET (replicas $resume_with)"
fi
