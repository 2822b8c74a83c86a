#!/usr/bin/env bash
# Creates channel $CHANNEL on the orderers this cluster runs and keeps its
# consenter set as the inputs say, one change per config update, each signed
# by every orderer org admin this cluster has. First every consenter of
# ORDERER_CONFIG that the channel's config lacks is added (Raft: the
# ConsensusType metadata; BFT: the Orderers mapping and the BlockValidation
# policy it implies; and its org's endpoints). Then every consenter the
# config has and the inputs no longer list is removed (and its address from
# its org's endpoints), each only while the consenters that stay and had
# joined before this run make a quorum of the smaller set (Raft a majority,
# BFT ceil((N + f + 1) / 2)). Then every consenter that has not joined the
# channel joins with its genesis block, made by configtxgen when no
# consenter has the channel yet (here or, asked at their endpoints, in other
# clusters), fetched from one that has it otherwise (a new genesis block
# would differ: it carries a timestamp). A node joined
# that way catches up and becomes a consenter when it reaches the update
# that made it one. Up to ORDERER_CONFIG's `tolerated` consenters may be
# unreachable (stopped, restarting) while the channel orders on the others:
# they are left for the next run, once a reachable one has the channel
# (without one, whether the channel exists cannot be told, and a new genesis
# block would fork it).
# Env: CHANNEL, PROFILE, CONSENTERS ([{org, mspId, host, port, adminPort}],
# the local ones), ORDERER_CONFIG ({type, tolerated, consenters: [{id, host,
# port, mspId, endpoint, tlsCert, identity}]}), TLS_ENABLED,
# CONFIG_WAIT_SECONDS (how long an update may take to show in the config;
# default 60), and the paths below. Orderer org admins are mounted at $ORDERER_ADMINS_MOUNT/<org>.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

# The update from /tmp/config.json to /tmp/modified.json, signed by every
# orderer org admin here (the update adds the last one's) and sent. $1 says
# what it does, for the logs.
update_consenters() {
  config_update_envelope "$CHANNEL" /tmp/config.json /tmp/modified.json /tmp/consenter-update.pb
  printf '%s' "$CONSENTERS" | jq -r 'map("\(.org) \(.mspId)") | unique | .[]' > /tmp/orderer-admins
  while read -r admin_org admin_msp; do
    [ "$admin_org" != "${present[0]}" ] || continue
    use_identity "$ORDERER_ADMINS_MOUNT/$admin_org" "$admin_msp"
    peer channel signconfigtx -f /tmp/consenter-update.pb
  done < /tmp/orderer-admins
  use_identity "$identity" "${present[1]}"
  peer channel update -f /tmp/consenter-update.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}"
}

# An update is ordered after it is accepted: fetches the config into
# /tmp/config.json until line $2 is gone from what $1 (consenters_missing or
# consenters_extra) finds in it, 2 s apart, failing after CONFIG_WAIT_SECONDS.
# $3 says what the update does.
wait_gone() {
  local waited=0
  fetch_config "$CHANNEL" /tmp/config.json
  while :; do
    "$1" "$ORDERER_CONFIG" < /tmp/config.json > /tmp/still
    grep -qxF "$2" /tmp/still || return 0
    if [ "$waited" -ge "${CONFIG_WAIT_SECONDS:-60}" ]; then
      log "the update that $3 $CHANNEL's consenters is not in its config after ${CONFIG_WAIT_SECONDS:-60} s"
      exit 1
    fi
    sleep 2
    waited=$((waited + 2))
    fetch_config "$CHANNEL" /tmp/config.json
  done
}

# Fetches block 0 of $CHANNEL into /tmp/genesis.block from the first
# consenter of another cluster (ORDERER_CONFIG's with a tlsCa) that has it.
# Fails when none has it, all having said so; exits when one cannot be
# asked (whether it has the channel cannot be told).
remote_genesis() {
  local endpoint tls_ca args unknown=()
  printf '%s' "$ORDERER_CONFIG" | jq -r '.consenters[] | select(.tlsCa) | "\(.endpoint) \(.tlsCa)"' > /tmp/remote-consenters
  while read -r endpoint tls_ca; do
    args=(-o "$endpoint")
    if [ "$TLS_ENABLED" = true ]; then
      args+=(--tls --cafile "$CONFIGTX_DIR/$tls_ca")
    fi
    if peer channel fetch 0 /tmp/genesis.block -c "$CHANNEL" "${args[@]}" 2> /tmp/remote.err; then
      log "$endpoint of another cluster has $CHANNEL: joining with its block 0"
      return 0
    fi
    if grep -q 'NOT_FOUND' /tmp/remote.err; then
      log "$endpoint of another cluster does not have $CHANNEL"
    else
      cat /tmp/remote.err >&2
      unknown+=("$endpoint")
    fi
  done < /tmp/remote-consenters
  if [ "${#unknown[@]}" -gt 0 ]; then
    log "cannot tell whether ${unknown[*]} of other clusters have $CHANNEL (a channel made here as well would fork it): make them reachable, then run the flow again"
    exit 1
  fi
  return 1
}

TOLERATED=$(printf '%s' "$ORDERER_CONFIG" | jq -er '.tolerated')
CONSENSUS=$(printf '%s' "$ORDERER_CONFIG" | jq -er '.type')
missing=()
present=()
joined=0
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
    joined=$((joined + 1))
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

if [ "${#present[@]}" -gt 0 ]; then
  identity="$ORDERER_ADMINS_MOUNT/${present[0]}"
  use_identity "$identity" "${present[1]}"
  ORDERER_ARGS=(-o "${present[2]}:${present[3]}")
  if [ "$TLS_ENABLED" = true ]; then
    ORDERER_ARGS+=(--tls --cafile "$identity/$ID_TLS_CA")
  fi
  materialize_configtx "$CONFIGTX_MOUNT" "$CONFIGTX_DIR"
  # Each pass adds one consenter: Raft takes one membership change at a time.
  # /tmp/config.json is the channel's config: fetched here, then again by
  # wait_gone after each update, until the update shows.
  fetch_config "$CHANNEL" /tmp/config.json
  while :; do
    consenters_missing "$ORDERER_CONFIG" < /tmp/config.json > /tmp/consenters-missing
    [ -s /tmp/consenters-missing ] || break
    consenter=$(head -n 1 /tmp/consenters-missing)
    address=$(printf '%s' "$consenter" | jq -er '"\(.host):\(.port)"')
    tls=$(base64 -w0 < "$CONFIGTX_DIR/$(printf '%s' "$consenter" | jq -er '.tlsCert')")
    enrollment=""
    if [ "$CONSENSUS" = BFT ]; then
      enrollment=$(base64 -w0 < "$CONFIGTX_DIR/$(printf '%s' "$consenter" | jq -er '.identity')")
    fi
    with_consenter "$consenter" "$CONSENSUS" "$tls" "$enrollment" < /tmp/config.json > /tmp/modified.json
    update_consenters "adds $address to"
    wait_gone consenters_missing "$consenter" "adds $address to"
    log "$address is now a consenter of $CHANNEL"
  done
  # Then one removal per update, the quorum of the smaller set checked first.
  while :; do
    consenters_extra "$ORDERER_CONFIG" < /tmp/config.json > /tmp/consenters-extra
    address=$(head -n 1 /tmp/consenters-extra)
    [ -n "$address" ] || break
    remaining=$(($(consenter_count "$CONSENSUS" < /tmp/config.json) - 1))
    need=$(quorum "$CONSENSUS" "$remaining")
    if [ "$joined" -lt "$need" ]; then
      log "$address is a consenter of $CHANNEL that the inputs no longer list; not removed: the $remaining that stay need $need up, and $joined here had joined before this run (start the others, or let new ones catch up, then run the flow again)"
      exit 1
    fi
    without_consenter "$address" "$CONSENSUS" < /tmp/config.json > /tmp/modified.json
    update_consenters "removes $address from"
    wait_gone consenters_extra "$address" "removes $address from"
    log "$address is no longer a consenter of $CHANNEL; its node keeps the channel's blocks until removed with osnadmin channel remove"
  done
fi

if [ "${#missing[@]}" -eq 0 ]; then
  log "every reachable consenter has joined $CHANNEL"
  exit 0
fi

if [ "${#present[@]}" -eq 0 ]; then
  materialize_configtx "$CONFIGTX_MOUNT" "$CONFIGTX_DIR"
  # Other clusters' consenters may have made the channel: then its block 0
  # is theirs (a genesis block made here would fork the channel). Asked as
  # a local orderer org's admin, a reader of every channel its nodes are on.
  read -r org msp _ < /tmp/consenters
  use_identity "$ORDERER_ADMINS_MOUNT/$org" "$msp"
  if ! remote_genesis; then
    configtxgen -configPath "$CONFIGTX_DIR" -profile "$PROFILE" -channelID "$CHANNEL" -outputBlock /tmp/genesis.block
  fi
else
  peer channel fetch 0 /tmp/genesis.block -c "$CHANNEL" "${ORDERER_ARGS[@]}"
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
