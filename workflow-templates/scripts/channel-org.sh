#!/usr/bin/env bash
# Joins every peer of org $ORG to channel $CHANNEL that has not joined it yet,
# then sets the org's anchor peers in the channel config when they differ.
# Env: CHANNEL, ORG, ORGS (the org table), TLS_ENABLED, ORDERER_ADDRESS,
# ORDERER_TLS_CA. The org admin's Secret is mounted at $ADMIN_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
use_orderer

printf '%s' "$ORG_JSON" | jq -r '.peers[]' > /tmp/peers
while read -r peer; do
  use_peer "$ADMIN_DIR" "$MSP_ID" "$peer"
  peer channel list > /tmp/channels.out
  if peer_channel_joined "$CHANNEL" < /tmp/channels.out; then
    log "$peer has joined $CHANNEL"
    continue
  fi
  if [ ! -f /tmp/block0.pb ]; then
    peer channel fetch 0 /tmp/block0.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}"
  fi
  peer channel join -b /tmp/block0.pb
  log "$peer joined $CHANNEL"
done < /tmp/peers

want=$(printf '%s' "$ORG_JSON" | jq -c '.anchorPeers')
peer channel fetch config /tmp/config_block.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}"
configtxlator proto_decode --input /tmp/config_block.pb --type common.Block |
  jq '.data.data[0].payload.data.config' > /tmp/config.json
if anchor_peers_set "$MSP_ID" "$want" < /tmp/config.json; then
  log "anchor peers of $ORG on $CHANNEL are set"
  exit 0
fi
anchor_peers_update "$MSP_ID" "$want" < /tmp/config.json > /tmp/modified.json
config_update_envelope "$CHANNEL" /tmp/config.json /tmp/modified.json /tmp/envelope.pb
peer channel update -f /tmp/envelope.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}"
log "anchor peers of $ORG on $CHANNEL set to $want"
