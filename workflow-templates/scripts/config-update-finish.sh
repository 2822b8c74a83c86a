#!/usr/bin/env bash
# Sends the config update supplied on resume, if any, then checks that channel
# $CHANNEL's config holds what the flow wanted (DESIRED, read per FLOW); an
# update someone else sent meanwhile counts as well. With no desired state
# (update.file), a successful send is the check.
# Env: FLOW, CHANNEL, ORG (whose admin sends and reads), ORGS (the org table),
# DESIRED, UPDATE (base64 envelope; empty: none supplied), TLS_ENABLED,
# ORDERER_ADDRESS, ORDERER_TLS_CA. The admin Secret is mounted at $ADMIN_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

use_orderer
use_org_admin "$ORG"
desired_count=$(printf '%s' "$DESIRED" | jq length)
if [ -n "$UPDATE" ]; then
  printf '%s' "$UPDATE" | base64 -d > /tmp/update.pb
  if peer channel update -f /tmp/update.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}" 2> /tmp/update.err; then
    log "sent the supplied config update of $CHANNEL"
  else
    cat /tmp/update.err >&2
    if update_lacks_signatures < /tmp/update.err; then
      log "the supplied config update of $CHANNEL still lacks signatures"
    fi
    if [ "$desired_count" -eq 0 ]; then
      exit 1
    fi
  fi
fi
if [ "$desired_count" -eq 0 ]; then
  exit 0
fi
fetch_config "$CHANNEL" /tmp/config.json
missing=$(desired_missing < /tmp/config.json)
if [ -n "$missing" ]; then
  log "channel $CHANNEL still lacks: ${missing//$'\n'/ }"
  exit 1
fi
log "channel $CHANNEL holds what network.yaml and the options ask for"
