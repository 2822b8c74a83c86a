#!/usr/bin/env bash
# For chaincode $CC_NAME and org $ORG: installs the org's package on every
# peer of the org that lacks it, then approves the desired definition on each
# of CHANNELS unless the org's approval of that definition is already there.
# Env: CC_NAME, CC_VERSION, DEFINITIONS, ORG, ORGS, CHANNELS,
# INSTALL_ENABLED, APPROVE_ENABLED, TLS_ENABLED, ORDERER_ADDRESS, ORDERER_TLS_CA.
# Mounts: $ADMIN_MOUNT (org admin Secret), $PACKAGE_FILE, $CONFIGTX_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
use_orderer
PACKAGE_ID=$(package_id "$PACKAGE_FILE")

if [ "$INSTALL_ENABLED" = true ]; then
  printf '%s' "$ORG_JSON" | jq -r '.peers[]' > /tmp/peers
  while read -r peer; do
    use_peer "$ADMIN_DIR" "$MSP_ID" "$peer"
    peer lifecycle chaincode queryinstalled --output json > /tmp/installed.json
    if package_installed "$PACKAGE_ID" < /tmp/installed.json; then
      log "$peer has $PACKAGE_ID"
      continue
    fi
    peer lifecycle chaincode install "$PACKAGE_FILE"
    log "$peer installed $PACKAGE_ID"
  done < /tmp/peers
fi

if [ "$APPROVE_ENABLED" != true ]; then
  exit 0
fi
use_first_peer
printf '%s' "$CHANNELS" | jq -r '.[]' > /tmp/channels
while read -r channel; do
  load_definition "$channel"
  plan=$(plan_sequence "$channel")
  read -r SEQUENCE _ <<< "$plan"
  if peer lifecycle chaincode queryapproved -C "$channel" -n "$CC_NAME" --sequence "$SEQUENCE" \
    --output json > /tmp/approved.json 2> /tmp/approved.err; then
    policy=$(decode_validation_parameter < /tmp/approved.json)
    if CC_PACKAGE_ID="$PACKAGE_ID" definition_matches "$policy" < /tmp/approved.json; then
      log "$ORG has approved $CC_NAME $CC_VERSION (sequence $SEQUENCE) on $channel"
      continue
    fi
  elif ! definition_absent < /tmp/approved.err; then
    cat /tmp/approved.err >&2
    exit 1
  fi
  definition_args "$channel" "$SEQUENCE"
  peer lifecycle chaincode approveformyorg "${ORDERER_ARGS[@]}" "${DEF_ARGS[@]}" \
    --package-id "$PACKAGE_ID" --waitForEvent
  log "$ORG approved $CC_NAME $CC_VERSION (sequence $SEQUENCE) on $channel"
done < /tmp/channels
