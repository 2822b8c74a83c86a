# shellcheck shell=sh
# Shared by the backup and restore steps. They run in the rclone image
# (Alpine: busybox sh, tar, sha256sum, awk; no bash, no jq), so this is POSIX
# sh. The decisions are small functions over plain text and folders, so tests
# feed them recorded output (tests/fixtures/flow/). Every value arrives through
# the environment; nothing user-written is pasted into script text.
#
# Layout of a backup, below REMOTE_ROOT (`backup:<bucket>[/<prefix>]`):
#   <key>/<org>/<node>/<component>.tar.gz          the data volume, tar + gzip
#   <key>/<org>/<node>/<component>.tar.gz.sha256   its sha256sum line
#   <key>/plan.txt                                 what the backup set out to copy
#   <key>/manifest.sha256                          every archive's sha256sum
#                                                  line; written last, only when
#                                                  every archive is in place

log() { printf '%s\n' "$*" >&2; }

fail() {
  log "$@"
  exit 1
}

# Ends a yes/no decision with the status $1 of the check that made it: 0 (yes)
# and 1 (no) are answers; any other (an error) stops the step, also where the
# decision is an `if` condition, in which set -e does not act.
decided() {
  case "$1" in
    0 | 1) return "$1" ;;
  esac
  log "cannot decide (status $1)"
  exit "$1"
}

# The folder of backup key $1.
key_dir() { printf '%s/%s' "$REMOTE_ROOT" "$1"; }

# Where a node keeps its data. $1: claim template names of its StatefulSet
# (space-separated), $2: the data volume's name, $3: Argo's phase of the `get`
# of its PersistentVolumeClaim (Succeeded when it exists). Prints
#   persistent  the data is on the PersistentVolumeClaim
#   emptydir    persistence is off: the data lives and dies with the pod
#   unclaimed   persistence is on, but no pod ever ran, so there is no claim
volume_state() {
  case " $1 " in
    *" $2 "*) ;;
    *)
      echo emptydir
      return 0
      ;;
  esac
  if [ "$3" = Succeeded ]; then echo persistent; else echo unclaimed; fi
}

# The replicas to bring a StatefulSet back to after the flow stopped it.
# $1: the resume annotation ("" when absent), $2: its spec.replicas now.
# An annotation left by an interrupted run wins: the StatefulSet is at 0
# because of that run, and the annotation holds what it ran with before.
replicas_to_resume() {
  if [ -n "$1" ]; then set -- "$1"; else set -- "$2"; fi
  case "$1" in
    '' | *[!0-9]*) return 1 ;;
  esac
  printf '%s\n' "$1"
}

# stdin: `rclone lsf` of a backup key's folder. Succeeds when the backup is
# complete (its manifest is there).
backup_complete() {
  grep -qx 'manifest.sha256' || decided $?
}

# stdin: a manifest. Prints the sha256 of archive $1; fails when the manifest
# lists it not exactly once.
manifest_sum() {
  awk -v object="$1" '$2 == object { n++; sum = $1 } END { if (n != 1) exit 1; print sum }'
}

# stdin: archive paths, one per line. Prints those that manifest file $1 does
# not list; fails when there is any.
missing_archives() {
  awk 'NR == FNR { listed[$2] = 1; next } NF && !($1 in listed) { print; missing = 1 } END { exit missing }' "$1" -
}

# What a node's data volume $2 holds, for a node of kind $1 (peer, couchdb,
# orderer). Prints
#   empty  nothing (lost+found and an interrupted restore's staging aside)
#   fresh  only what a node writes when it first starts: no channel yet
#   data   the ledger or state database of at least one channel
# Fails when it cannot tell (find cannot read the volume).
volume_content() (
  case $1 in
    peer | orderer | couchdb) ;;
    *) return 1 ;;
  esac
  if ! has_entries "$2"; then
    echo empty
    return 0
  fi
  case $1 in
    peer) has_entries "$2/ledgersData/chains/chains" || { echo fresh; return 0; } ;;
    orderer) has_entries "$2/orderer/chains" || { echo fresh; return 0; } ;;
    couchdb)
      # Channel databases are named <channel>_...; CouchDB's own start with _.
      databases=$(find "$2" -name '[!_.]*.couch')
      [ -n "$databases" ] || { echo fresh; return 0; }
      ;;
  esac
  echo data
)

STAGING_NAME=.fabchart-restore

# Succeeds when folder $1 exists and holds something besides lost+found and
# the staging folder of a restore.
has_entries() (
  [ -d "$1" ] || return 1
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case ${entry##*/} in
      lost+found | "$STAGING_NAME") ;;
      *) return 0 ;;
    esac
  done
  return 1
)

# Whether a restore may replace what volume content $1 (see volume_content)
# holds; $2: restore.force (true/false).
restore_allowed() {
  case "$1" in
    empty | fresh) return 0 ;;
  esac
  [ "$2" = true ]
}
