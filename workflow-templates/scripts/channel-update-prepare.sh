#!/usr/bin/env bash
# Plans a change of channel $CHANNEL's config: nothing when it holds every
# value of DESIRED already; else the config update envelope that sets them.
# With UPDATE_FILE (update.file), that update instead, once it is checked to
# be a config update for this channel. Names the local admins whose
# signatures count (members of the update's scope).
# Env: CHANNEL, ORG (whose admin reads the config), ORGS (the org table),
# DESIRED ([{path, value}]), CANDIDATES ({Application|Orderer: [org name]}),
# CREATE_ENABLED, UPDATE_FILE (base64, optional), TLS_ENABLED,
# ORDERER_ADDRESS, ORDERER_TLS_CA, WORKFLOW_NAME, WORKFLOW_NAMESPACE.
# The reader's admin Secret is mounted at $ADMIN_MOUNT.
# Outputs ($OUTPUTS_DIR): plan, update, signers (see plan_start).
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

plan_start
use_orderer
use_org_admin "$ORG"
fetch_config "$CHANNEL" /tmp/config.json
member_signers "$CANDIDATES" "$ORGS" < /tmp/config.json > "$OUTPUTS_DIR/signers"

if [ -n "${UPDATE_FILE:-}" ]; then
  printf '%s' "$UPDATE_FILE" | base64 -d > /tmp/update.pb
  configtxlator proto_decode --input /tmp/update.pb --type common.Envelope > /tmp/update.json
  if ! is_config_update_for "$CHANNEL" < /tmp/update.json; then
    log "update.file is no config update for channel $CHANNEL"
    exit 1
  fi
  signed_by=$(jq -c '[.payload.data.signatures[]?.signature_header.creator.mspid]' /tmp/update.json)
  log "the given update of $CHANNEL is signed by: $signed_by"
  plan_update /tmp/update.pb
  exit 0
fi

differ=$(config_values_differ "$DESIRED" < /tmp/config.json)
desired_count=$(printf '%s' "$DESIRED" | jq length)
if [ "$desired_count" -gt 0 ] && [ -z "$differ" ]; then
  log "$CHANNEL holds every value already: nothing to do"
  exit 0
fi
if [ "$CREATE_ENABLED" != true ]; then
  plan_supplied
  exit 0
fi
log "to change on $CHANNEL: ${differ//$'\n'/ }"
config_set_values "$DESIRED" < /tmp/config.json > /tmp/modified.json
config_update_envelope "$CHANNEL" /tmp/config.json /tmp/modified.json /tmp/update.pb
plan_update /tmp/update.pb
