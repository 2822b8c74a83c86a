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

# The sha256 the manifest of backup folder $1 lists for archive $2, read
# through scratch folder $3; fails when the manifest cannot be read or does
# not list the archive exactly once.
manifest_want() {
  rclone cat "$1/manifest.sha256" > "$3/manifest" || fail "cannot read $1/manifest.sha256"
  manifest_sum "$2" < "$3/manifest" || fail "the manifest of $1 does not list $2 once"
}

# stdin: archive paths, one per line. Prints those that manifest file $1 does
# not list; fails when there is any.
missing_archives() {
  awk 'NR == FNR { listed[$2] = 1; next } NF && !($1 in listed) { print; missing = 1 } END { exit missing }' "$1" -
}

# What a node's data volume $2 holds, for a node of kind $1 (peer, couchdb,
# orderer, ca). Prints
#   empty  nothing (lost+found and the restore's own files aside)
#   fresh  only what a node writes when it first starts: no channel yet
#   data   the ledger or state database of at least one channel; a CA's
#          database (registrations: a fresh one cannot be told apart)
# Fails when it cannot tell (find cannot read the volume).
volume_content() (
  case $1 in
    peer | orderer | couchdb | ca) ;;
    *) return 1 ;;
  esac
  if ! has_entries "$2"; then
    echo empty
    return 0
  fi
  case $1 in
    peer) has_entries "$2/ledgersData/chains/chains" || { echo fresh; return 0; } ;;
    orderer) has_entries "$2/orderer/chains" || { echo fresh; return 0; } ;;
    ca) [ -e "$2/fabric-ca-server.db" ] || { echo fresh; return 0; } ;;
    couchdb)
      # Channel databases are named <channel>_...; CouchDB's own start with _.
      databases=$(find "$2" -name '[!_.]*.couch')
      [ -n "$databases" ] || { echo fresh; return 0; }
      ;;
  esac
  echo data
)

# A restore's own files on a volume, never part of a node's data (left out
# of archives and of what a volume is judged to hold):
#   .fabchart-restore/           a restore in progress:
#     run                        "<run id> <backup key> <claim>,<claim>,..."
#                                (every volume of that run), written first
#     data/                      the archive, extracted while it is hashed
#     staged                     its sha256: data/ is complete and verified
#     old/                       the volume's old content, once the swap began
#     old-moved                  all of it is in old/
#   .fabchart-restored           the run line of the restore that put the
#                                content there (+ "finished-by <run id>" when
#                                a later run finished its swap)
#   .fabchart-restore-trash      a staging folder being removed
STAGING_NAME=.fabchart-restore
RESTORED_NAME=.fabchart-restored
TRASH_NAME=.fabchart-restore-trash

# Succeeds when $1 is the name of one of the restore's own files above.
is_restore_file() {
  case $1 in
    "$STAGING_NAME" | "$RESTORED_NAME" | "$TRASH_NAME") return 0 ;;
  esac
  return 1
}

# Succeeds when folder $1 exists and holds something besides lost+found and
# the restore's own files.
has_entries() (
  [ -d "$1" ] || return 1
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    [ "$name" != lost+found ] || continue
    is_restore_file "$name" || return 0
  done
  return 1
)

# Where restore run of volume $1 (claim $2) stands, as one line
# "<claim> <state> [<run line>]":
#   none      no restore ran here (or only finished ones: see restored)
#   restored  the content is the complete archive of the run named
#   partial   a run began staging here and did not finish (no run line when
#             it stopped before writing one)
#   staged    the archive is extracted and verified, the old content untouched
#   swapping  the staged content is replacing the old one
restore_state() (
  staging=$1/$STAGING_NAME
  if [ -d "$staging" ]; then
    if [ -d "$staging/old" ]; then
      state=swapping
    elif [ -f "$staging/staged" ]; then
      state=staged
    else
      state=partial
    fi
    run=
    if [ -f "$staging/run" ]; then run=$(head -n 1 "$staging/run"); fi
    printf '%s %s %s\n' "$2" "$state" "$run"
  elif [ -f "$1/$RESTORED_NAME" ]; then
    printf '%s restored %s\n' "$2" "$(head -n 1 "$1/$RESTORED_NAME")"
  else
    printf '%s none\n' "$2"
  fi
)

# stdin: the restore_state lines of every volume of this run. What to do on
# the volume of claim $1 so that a restore that stopped half-way leaves every
# volume on its old content or every one on the restored content, never a
# mix. Prints
#   nothing  no restore is pending here
#   finish   the pending run staged every one of its volumes (its commit
#            point): finish the swap
#   adopt    the pending run swapped this volume already and is finished on
#            the others now: mark it finished by this run as well
#   discard  the pending run did not: drop its staging, keep the old content
# Fails (with the reason on stderr) when the pending run covers volumes this
# run does not select, so it cannot be judged, or when its state makes no sense.
settle_decision() {
  awk -v me="$1" '
    NF >= 2 { state[$1] = $2; run[$1] = $3; claims[$1] = $5 }
    END {
      if (!(me in state)) { print "no restore state for " me > "/dev/stderr"; exit 2 }
      s = state[me]
      if (s == "none") { print "nothing"; exit 0 }
      if (s == "restored") {
        r = run[me]
        n = split(claims[me], covered, ",")
        pending = 0
        committed = n > 0
        for (i = 1; i <= n; i++) {
          c = covered[i]
          if (!(c in state)) { committed = 0; continue }
          if (run[c] == r && (state[c] == "staged" || state[c] == "swapping")) pending = 1
          if (run[c] != r || (state[c] != "staged" && state[c] != "swapping" && state[c] != "restored")) committed = 0
        }
        print (pending && committed) ? "adopt" : "nothing"
        exit 0
      }
      if (run[me] == "") {
        if (s == "partial") { print "discard"; exit 0 }
        print me ": a restore is " s " without its run file" > "/dev/stderr"; exit 2
      }
      r = run[me]
      n = split(claims[me], covered, ",")
      committed = n > 0
      for (i = 1; i <= n; i++) {
        c = covered[i]
        if (!(c in state)) {
          print me ": an interrupted restore (run " r ") also covers " c ", which this run does not select: rerun the restore with the same backup.key, flow.backup.include and component switches" > "/dev/stderr"
          exit 3
        }
        if (run[c] != r || (state[c] != "staged" && state[c] != "swapping" && state[c] != "restored")) committed = 0
      }
      if (committed) { print "finish"; exit 0 }
      if (s == "swapping") { print me ": run " r " began swapping before all of its volumes were staged" > "/dev/stderr"; exit 2 }
      print "discard"
    }'
}

# Removes the staging folder of volume $1 (first renamed, so that what is left
# of it after a kill is never taken for a staging).
discard_staging() {
  rm -rf "${1:?}/$TRASH_NAME"
  if [ -d "$1/$STAGING_NAME" ]; then mv "$1/$STAGING_NAME" "$1/$TRASH_NAME"; fi
  rm -rf "${1:?}/$TRASH_NAME"
}

# Puts the staged content of volume $1 in place of its old content; $2 (may
# be empty): the id of a run finishing another run's swap. Each move is a
# rename on the volume, and each stage is marked, so a swap killed at any
# point is finished by calling this again.
finish_swap() (
  dir=$1
  staging=$dir/$STAGING_NAME
  [ -f "$staging/staged" ] || fail "$dir: nothing is staged"
  if [ ! -e "$staging/old-moved" ]; then
    mkdir -p "$staging/old"
    for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
      [ -e "$entry" ] || [ -L "$entry" ] || continue
      case ${entry##*/} in
        lost+found | "$STAGING_NAME") ;;
        *) mv "$entry" "$staging/old/" ;;
      esac
    done
    sync
    : > "$staging/old-moved"
  fi
  for entry in "$staging/data"/* "$staging/data"/.[!.]* "$staging/data"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    mv "$entry" "$dir/"
  done
  {
    cat "$staging/run"
    if [ -n "$2" ]; then printf 'finished-by %s\n' "$2"; fi
  } > "$dir/$RESTORED_NAME"
  sync
  discard_staging "$dir"
  sync
)

# Succeeds when volume $1 holds backup $2 because run $3 just finished the
# swap of an interrupted restore of that backup: restoring it again from the
# same backup needs no restore.force.
finished_here() {
  [ -f "$1/$RESTORED_NAME" ] || return 1
  awk -v key="$2" -v run="$3" '
    NR == 1 { same_key = ($2 == key) }
    $1 == "finished-by" && $2 == run { finished = 1 }
    END { exit !(same_key && finished) }' "$1/$RESTORED_NAME" || decided $?
}

# Whether a restore may replace what volume content $1 (see volume_content)
# holds; $2: restore.force (true/false).
restore_allowed() {
  case "$1" in
    empty | fresh) return 0 ;;
  esac
  [ "$2" = true ]
}
