#!/bin/sh
# Whether any StatefulSet of the restore is still stopped by it (carries the
# resume annotation), so that its volumes may hold a restore stopped
# half-way: writes true or false to /tmp/stopped. A restore that failed
# before it stopped anything settles nothing: its nodes keep running, and
# their volumes are not mounted by another pod.
# Env: RESUMES (JSON list of the annotations' values, "" where absent).
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

if printf '%s' "$RESUMES" | tr -d '[] \n' | tr ',' '\n' | grep -qv '^""$'; then
  echo true > /tmp/stopped
  log "nodes of the restore are still stopped: their volumes are settled before they start"
else
  echo false > /tmp/stopped
fi
