#!/bin/sh
# Fails the workflow with MESSAGE, after the steps that must run anyway (such
# as starting stopped nodes again) have run. Needs no library.
# Env: MESSAGE.
set -eu
printf '%s\n' "$MESSAGE" >&2
exit 1
