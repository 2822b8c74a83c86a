#!/usr/bin/env bash
# Legacy lifecycle, for chaincode $CC_NAME on $CHANNEL: instantiates version
# $CC_VERSION when the channel has none, upgrades to it when another version is
# instantiated, and does nothing when it is there. Instantiate and upgrade run
# the chaincode's Init with INIT_ARGS and carry the signature policy and the
# collections config of DEFINITIONS; the step then waits until the peer lists
# the version. A changed policy or collections config needs a new version.
# Env: CC_NAME, CC_VERSION, CC_LANG, DEFINITIONS, CHANNEL, ORG, ORGS, INIT_ARGS,
# TLS_ENABLED, ORDERER_ADDRESS, ORDERER_TLS_CA.
# Mounts: $ADMIN_MOUNT (the instantiating org's admin Secret), $CONFIGTX_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
use_orderer
use_first_peer

peer chaincode list --instantiated -C "$CHANNEL" > /tmp/instantiated.out
action=$(legacy_deploy_action "$CC_NAME" "$CC_VERSION" < /tmp/instantiated.out)
if [ "$action" = none ]; then
  log "$CC_NAME $CC_VERSION is instantiated on $CHANNEL"
  exit 0
fi

load_definition "$CHANNEL"
legacy_definition_args
peer chaincode "$action" "${ORDERER_ARGS[@]}" -C "$CHANNEL" -n "$CC_NAME" -v "$CC_VERSION" \
  -l "$CC_LANG" -c "$INIT_ARGS" "${LEGACY_ARGS[@]}"
log "sent $action of $CC_NAME $CC_VERSION on $CHANNEL"

# instantiate and upgrade return once the orderer has the transaction.
waited=0
while :; do
  pending=$(legacy_deploy_action "$CC_NAME" "$CC_VERSION" < /tmp/instantiated.out)
  if [ "$pending" = none ]; then
    break
  fi
  if [ "$waited" -ge 180 ]; then
    log "$CC_NAME $CC_VERSION is not listed on $CHANNEL after ${waited}s"
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
  peer chaincode list --instantiated -C "$CHANNEL" > /tmp/instantiated.out
done
log "$CC_NAME $CC_VERSION is instantiated on $CHANNEL"
