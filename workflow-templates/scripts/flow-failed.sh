#!/bin/sh
# Fails the workflow with MESSAGE, after the steps that must run anyway (such
# as starting stopped nodes again) have run. Needs no library.
# Env: MESSAGE.
set -eu
# busybox sh (the rclone image's shell) has pipefail; dash has not, and
# refuses to run the step rather than run it unguarded.
# shellcheck disable=SC3040
set -o pipefail
printf '%s\n' "$MESSAGE" >&2
exit 1
