#!/usr/bin/env bash
# Invokes chaincode $CC_NAME on $CHANNEL once with INVOKE_ARGS, so the peers
# connect to the chaincode (a ping; not part of the desired state).
# Env: CC_NAME, CHANNEL, ORG, ORGS, ENDORSERS, INVOKE_ARGS, TLS_ENABLED,
# ORDERER_ADDRESS, ORDERER_TLS_CA. Mounts: $ADMIN_MOUNT, $CONFIGTX_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
use_orderer
use_first_peer
endorser_args
peer chaincode invoke "${ORDERER_ARGS[@]}" -C "$CHANNEL" -n "$CC_NAME" "${PEER_ARGS[@]}" \
  -c "$INVOKE_ARGS" --waitForEvent
log "invoked $CC_NAME on $CHANNEL"
