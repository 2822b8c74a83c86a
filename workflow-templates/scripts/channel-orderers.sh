#!/usr/bin/env bash
# Creates channel $CHANNEL on the orderers this cluster runs: every consenter
# that has not joined it yet joins with the channel's genesis block, made by
# configtxgen when no consenter has the channel yet, fetched from one that has
# it otherwise (a new genesis block would differ: it carries a timestamp).
# Up to TOLERATED consenters may be unreachable (stopped, restarting) while
# the channel orders on the others: they are left for the next run, once a
# reachable one has the channel (without one, whether the channel exists
# cannot be told, and a new genesis block would fork it).
# Env: CHANNEL, PROFILE, CONSENTERS ([{org, mspId, host, port, adminPort}]),
# TOLERATED, TLS_ENABLED, and the paths below. Orderer org admins are mounted
# at $ORDERER_ADMINS_MOUNT/<org>.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

missing=()
present=()
unreachable=()
printf '%s' "$CONSENTERS" | jq -r '.[] | "\(.org) \(.mspId) \(.host) \(.port) \(.adminPort)"' > /tmp/consenters
while read -r org msp host port admin_port; do
  identity="$ORDERER_ADMINS_MOUNT/$org"
  if ! osnadmin channel list -o "$host:$admin_port" --ca-file "$identity/$ID_TLS_CA" \
    --client-cert "$identity/$ID_CLIENT_CERT" --client-key "$identity/$ID_CLIENT_KEY" > /tmp/list.out 2>&1; then
    cat /tmp/list.out >&2
    log "$host is unreachable"
    unreachable+=("$host")
    continue
  fi
  osn_status_ok < /tmp/list.out || { cat /tmp/list.out >&2; exit 1; }
  if osn_channel_listed "$CHANNEL" < /tmp/list.out; then
    log "$host has joined $CHANNEL"
    present=("$org" "$msp" "$host" "$port")
  else
    missing+=("$org $host $admin_port")
  fi
done < /tmp/consenters

if [ "${#unreachable[@]}" -gt 0 ]; then
  if [ "${#unreachable[@]}" -gt "$TOLERATED" ]; then
    log "${#unreachable[@]} consenters of $CHANNEL are unreachable (${unreachable[*]}), more than the $TOLERATED it tolerates: start them, then run the flow again"
    exit 1
  fi
  if [ "${#present[@]}" -eq 0 ]; then
    log "no reachable consenter has $CHANNEL, and ${unreachable[*]} cannot be asked whether it has it: start it, then run the flow again"
    exit 1
  fi
  log "left for the next run, unreachable: ${unreachable[*]} ($CHANNEL tolerates $TOLERATED)"
fi

if [ "${#missing[@]}" -eq 0 ]; then
  log "every reachable consenter has joined $CHANNEL"
  exit 0
fi

if [ "${#present[@]}" -eq 0 ]; then
  materialize_configtx "$CONFIGTX_MOUNT" "$CONFIGTX_DIR"
  configtxgen -configPath "$CONFIGTX_DIR" -profile "$PROFILE" -channelID "$CHANNEL" -outputBlock /tmp/genesis.block
else
  identity="$ORDERER_ADMINS_MOUNT/${present[0]}"
  use_identity "$identity" "${present[1]}"
  fetch_args=(-c "$CHANNEL" -o "${present[2]}:${present[3]}")
  if [ "$TLS_ENABLED" = true ]; then
    fetch_args+=(--tls --cafile "$identity/$ID_TLS_CA")
  fi
  peer channel fetch 0 /tmp/genesis.block "${fetch_args[@]}"
fi

for entry in "${missing[@]}"; do
  read -r org host admin_port <<< "$entry"
  identity="$ORDERER_ADMINS_MOUNT/$org"
  osnadmin channel join --channelID "$CHANNEL" --config-block /tmp/genesis.block -o "$host:$admin_port" \
    --ca-file "$identity/$ID_TLS_CA" --client-cert "$identity/$ID_CLIENT_CERT" \
    --client-key "$identity/$ID_CLIENT_KEY" > /tmp/join.out
  cat /tmp/join.out >&2
  osn_status_ok < /tmp/join.out
  log "$host joined $CHANNEL"
done
