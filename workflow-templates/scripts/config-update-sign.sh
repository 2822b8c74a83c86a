#!/usr/bin/env bash
# Signs the config update of channel $CHANNEL as the admin of org $ORG, and
# outputs the one signature added (base64 common.ConfigSignature), for the
# submit step to merge with the other orgs' signatures.
# Env: CHANNEL, ORG, ORGS (the org table), UPDATE (base64 envelope). The org's
# admin Secret is mounted at $ADMIN_MOUNT; nothing else is.
# Outputs ($OUTPUTS_DIR): signature.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

mkdir -p "$OUTPUTS_DIR"
use_org_admin "$ORG"
printf '%s' "$UPDATE" | base64 -d > /tmp/update.pb
peer channel signconfigtx -f /tmp/update.pb
last_signature /tmp/update.pb > /tmp/signature.pb
base64 -w0 /tmp/signature.pb > "$OUTPUTS_DIR/signature"
log "$ORG ($CORE_PEER_LOCALMSPID) signed the config update of $CHANNEL"
