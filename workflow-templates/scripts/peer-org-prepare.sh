#!/usr/bin/env bash
# Plans adding to channel $CHANNEL the orgs network.yaml puts on it that its
# config lacks: each missing org's group as `configtxgen -printOrg` builds it
# from the chart's configtx.yaml and public MSPs, and the config update
# envelope; names the local admins whose signatures count (members already).
# Env: CHANNEL, ORG (whose admin reads the config), ORGS (the org table),
# DESIRED ([org name]), CANDIDATES ({Application: [org name]}),
# CREATE_ENABLED, TLS_ENABLED, ORDERER_ADDRESS, ORDERER_TLS_CA, WORKFLOW_NAME,
# WORKFLOW_NAMESPACE. The reader's admin Secret is mounted at $ADMIN_MOUNT.
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
if ! fetch_config "$CHANNEL" /tmp/config.json; then
  if channel_absent < /tmp/fetch.err; then
    log "channel $CHANNEL does not exist yet: \`fabchart flow channel\` creates it with every org"
    exit 0
  fi
  exit 1
fi
member_signers "$CANDIDATES" "$ORGS" < /tmp/config.json > "$OUTPUTS_DIR/signers"
missing=$(channel_orgs_missing "$DESIRED" "$ORGS" < /tmp/config.json)
if [ -z "$missing" ]; then
  log "every org network.yaml puts on $CHANNEL is a member: nothing to do"
  exit 0
fi
log "to add to $CHANNEL: ${missing//$'\n'/ }"
if [ "$CREATE_ENABLED" != true ]; then
  plan_supplied
  exit 0
fi

groups='{}'
while read -r org; do
  msp=$(printf '%s' "$ORGS" | jq -r --arg org "$org" '.[$org].mspId')
  msp_dir=$(printf '%s' "$ORGS" | jq -r --arg org "$org" '.[$org].mspDir')
  if [ ! -d "$CONFIGTX_DIR/$msp_dir/cacerts" ]; then
    log "the chart has no public MSP of $org ($msp_dir/cacerts): copy the org's msp folder in, compile, helm upgrade"
    exit 1
  fi
  configtxgen -configPath "$CONFIGTX_DIR" -printOrg "$msp" > /tmp/org.json
  groups=$(printf '%s' "$groups" | jq -c --arg msp "$msp" --slurpfile group /tmp/org.json '. + {($msp): $group[0]}')
done <<< "$missing"
add_org_groups "$groups" < /tmp/config.json > /tmp/modified.json
config_update_envelope "$CHANNEL" /tmp/config.json /tmp/modified.json /tmp/update.pb
plan_update /tmp/update.pb
