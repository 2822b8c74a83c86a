#!/usr/bin/env bash
# Adds the signatures of this cluster's admins to the config update of channel
# $CHANNEL (byte for byte: the signed ConfigUpdate is never re-encoded) and
# sends it to the orderer. When sending is off, or the orderer wants more
# signatures, hands it on (log, output parameter) for the wait step.
# Env: CHANNEL, ORG (whose admin sends), ORGS (the org table), UPDATE (base64
# envelope), SIGNATURES (JSON list of base64 common.ConfigSignature),
# SEND_ENABLED, TLS_ENABLED, ORDERER_ADDRESS, ORDERER_TLS_CA, WORKFLOW_NAME,
# WORKFLOW_NAMESPACE. The sender's admin Secret is mounted at $ADMIN_MOUNT.
# Outputs ($OUTPUTS_DIR): result (sent, waiting), signed (base64 envelope).
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

mkdir -p "$OUTPUTS_DIR"
use_orderer
use_org_admin "$ORG"
printf '%s' "$UPDATE" | base64 -d > /tmp/update.pb
sig_files=()
printf '%s' "$SIGNATURES" | jq -r '.[]' > /tmp/signatures
while read -r signature; do
  file="/tmp/signature-${#sig_files[@]}.pb"
  printf '%s' "$signature" | base64 -d > "$file"
  sig_files+=("$file")
done < /tmp/signatures
envelope_add_signatures /tmp/update.pb /tmp/signed.pb "${sig_files[@]}"
base64 -w0 /tmp/signed.pb > "$OUTPUTS_DIR/signed"
log "merged ${#sig_files[@]} signature(s) into the config update of $CHANNEL"

if [ "$SEND_ENABLED" = true ]; then
  if peer channel update -f /tmp/signed.pb -c "$CHANNEL" "${ORDERER_ARGS[@]}" 2> /tmp/update.err; then
    cat /tmp/update.err >&2
    log "sent the config update of $CHANNEL"
    echo sent > "$OUTPUTS_DIR/result"
    exit 0
  fi
  cat /tmp/update.err >&2
  if ! update_lacks_signatures < /tmp/update.err; then
    exit 1
  fi
  log "the orderer wants more signatures for the config update of $CHANNEL"
else
  log "not sending the config update of $CHANNEL (flow.sendUpdate.channel.enabled=false)"
fi
hand_on_update /tmp/signed.pb
echo waiting > "$OUTPUTS_DIR/result"
