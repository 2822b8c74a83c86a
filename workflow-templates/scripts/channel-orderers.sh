#!/usr/bin/env bash
# Creates channel $CHANNEL on the orderers this cluster runs: every consenter
# that has not joined it yet joins with the channel's genesis block, made by
# configtxgen when no consenter has the channel yet, fetched from one that has
# it otherwise (a new genesis block would differ: it carries a timestamp).
# Env: CHANNEL, PROFILE, CONSENTERS ([{org, mspId, host, port, adminPort}]),
# TLS_ENABLED. Orderer org admins are mounted at /crypto/orderer/<org>.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

missing=()
present=()
printf '%s' "$CONSENTERS" | jq -r '.[] | "\(.org) \(.mspId) \(.host) \(.port) \(.adminPort)"' > /tmp/consenters
while read -r org msp host port admin_port; do
  identity="/crypto/orderer/$org"
  osnadmin channel list -o "$host:$admin_port" --ca-file "$identity/tls/ca.crt" \
    --client-cert "$identity/tls/client.crt" --client-key "$identity/tls/client.key" > /tmp/list.out
  osn_status_ok < /tmp/list.out || { cat /tmp/list.out >&2; exit 1; }
  if osn_channel_listed "$CHANNEL" < /tmp/list.out; then
    log "$host has joined $CHANNEL"
    present=("$org" "$msp" "$host" "$port")
  else
    missing+=("$org $host $admin_port")
  fi
done < /tmp/consenters

if [ "${#missing[@]}" -eq 0 ]; then
  log "every consenter has joined $CHANNEL"
  exit 0
fi

if [ "${#present[@]}" -eq 0 ]; then
  materialize_configtx /configtx /tmp/configtx
  configtxgen -configPath /tmp/configtx -profile "$PROFILE" -channelID "$CHANNEL" -outputBlock /tmp/genesis.block
else
  identity="/crypto/orderer/${present[0]}"
  export CORE_PEER_LOCALMSPID="${present[1]}"
  export CORE_PEER_MSPCONFIGPATH="$identity/msp"
  fetch_args=(-c "$CHANNEL" -o "${present[2]}:${present[3]}")
  if [ "$TLS_ENABLED" = true ]; then
    fetch_args+=(--tls --cafile "$identity/tls/ca.crt")
  fi
  peer channel fetch 0 /tmp/genesis.block "${fetch_args[@]}"
fi

for entry in "${missing[@]}"; do
  read -r org host admin_port <<< "$entry"
  identity="/crypto/orderer/$org"
  osnadmin channel join --channelID "$CHANNEL" --config-block /tmp/genesis.block -o "$host:$admin_port" \
    --ca-file "$identity/tls/ca.crt" --client-cert "$identity/tls/client.crt" \
    --client-key "$identity/tls/client.key" > /tmp/join.out
  cat /tmp/join.out >&2
  osn_status_ok < /tmp/join.out
  log "$host joined $CHANNEL"
done
