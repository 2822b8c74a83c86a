#!/usr/bin/env bash
# Commits chaincode $CC_NAME's desired definition on $CHANNEL unless it is the
# committed one; a changed definition gets the next sequence. Fails (and is
# retried) while an org's approval is missing.
# Env: CC_NAME, CC_VERSION, DEFINITIONS, CHANNEL, ORG, ORGS, PEERS,
# TLS_ENABLED, ORDERER_ADDRESS, ORDERER_TLS_CA.
# Mounts: /crypto/admin (the committing org's admin Secret), /configtx.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

org_json=$(printf '%s' "$ORGS" | jq -ce --arg org "$ORG" '.[$org]')
msp_id=$(printf '%s' "$org_json" | jq -r '.mspId')
materialize_identity /crypto/admin "$(printf '%s' "$org_json" | jq -c '.adminFiles')" /tmp/admin
materialize_configtx /configtx /tmp/configtx
orderer_args
use_peer /tmp/admin "$msp_id" "$(printf '%s' "$org_json" | jq -r '.peers[0]')"

load_definition "$CHANNEL"
plan=$(plan_sequence "$CHANNEL")
read -r SEQUENCE COMMITTED <<< "$plan"
if [ "$COMMITTED" = true ]; then
  log "$CC_NAME $CC_VERSION (sequence $SEQUENCE) is committed on $CHANNEL"
  exit 0
fi
definition_args "$CHANNEL" "$SEQUENCE"
peer lifecycle chaincode checkcommitreadiness "${DEF_ARGS[@]}" --output json > /tmp/readiness.json
all_approved < /tmp/readiness.json
endorser_args
peer lifecycle chaincode commit "${ORDERER_ARGS[@]}" "${DEF_ARGS[@]}" "${PEER_ARGS[@]}" --waitForEvent
log "committed $CC_NAME $CC_VERSION (sequence $SEQUENCE) on $CHANNEL"
