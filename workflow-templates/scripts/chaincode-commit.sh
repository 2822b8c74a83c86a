#!/usr/bin/env bash
# Commits chaincode $CC_NAME's desired definition on $CHANNEL unless it is the
# committed one; a changed definition gets the next sequence. Waits up to
# APPROVAL_WAIT_MINUTES for approvals that only orgs of other clusters
# (EXTERNAL_APPROVERS) still owe; fails (and is retried) at once while a local
# org's approval is missing. Exit status 3 (given up waiting) is not retried.
# A definition that requires init gets its one `--isInit` invoke (INIT_ARGS)
# per version, unless the chaincode says it is already initialized.
# Env: CC_NAME, CC_VERSION, DEFINITIONS, CHANNEL, ORG, ORGS, ENDORSERS,
# EXTERNAL_APPROVERS, APPROVAL_WAIT_MINUTES, INIT_ARGS, TLS_ENABLED,
# ORDERER_ADDRESS, ORDERER_TLS_CA.
# Mounts: $ADMIN_MOUNT (the committing org's admin Secret), $CONFIGTX_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
use_orderer
use_first_peer

load_definition "$CHANNEL"
plan=$(plan_sequence "$CHANNEL")
read -r SEQUENCE COMMITTED <<< "$plan"
endorser_args
if [ "$COMMITTED" = true ]; then
  log "$CC_NAME $CC_VERSION (sequence $SEQUENCE) is committed on $CHANNEL"
else
  definition_args "$CHANNEL" "$SEQUENCE"
  expected=$(approvers)
  now=$(date +%s)
  wait_until=$((now + APPROVAL_WAIT_MINUTES * 60))
  while :; do
    peer lifecycle chaincode checkcommitreadiness "${DEF_ARGS[@]}" --output json > /tmp/readiness.json
    missing=$(approvals_missing "$expected" < /tmp/readiness.json)
    if [ -z "$missing" ]; then
      break
    fi
    log "waiting for the approval of: ${missing//$'\n'/ }"
    if ! all_listed "$missing" "$EXTERNAL_APPROVERS"; then
      log "an org of this cluster has not approved; run the flow with flow.approve.enabled=true"
      exit 1
    fi
    now=$(date +%s)
    if [ "$now" -ge "$wait_until" ]; then
      log "gave up after $APPROVAL_WAIT_MINUTES minutes (flow.commit.approvalWait); rerun the flow once they approved"
      exit 3 # not retried
    fi
    sleep 30
  done
  peer lifecycle chaincode commit "${ORDERER_ARGS[@]}" "${DEF_ARGS[@]}" "${PEER_ARGS[@]}" --waitForEvent
  log "committed $CC_NAME $CC_VERSION (sequence $SEQUENCE) on $CHANNEL"
fi

if [ "$CC_INIT_REQUIRED" = true ]; then
  if peer chaincode invoke "${ORDERER_ARGS[@]}" -C "$CHANNEL" -n "$CC_NAME" "${PEER_ARGS[@]}" \
    --isInit -c "$INIT_ARGS" --waitForEvent 2> /tmp/init.err; then
    log "initialized $CC_NAME $CC_VERSION on $CHANNEL"
  elif already_initialized < /tmp/init.err; then
    log "$CC_NAME $CC_VERSION is initialized on $CHANNEL"
  else
    cat /tmp/init.err >&2
    exit 1
  fi
fi
