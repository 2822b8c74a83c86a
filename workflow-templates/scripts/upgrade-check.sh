#!/usr/bin/env bash
# Checks that channel $CHANNEL can go on when the nodes run Fabric 3 and can
# take the V3_0 channel capability after (what Fabric's "Considerations for
# getting to v3.x" asks before the upgrade): fabric3_blockers on its config,
# and no chaincode that runs by the legacy lifecycle (one that `peer
# chaincode list --instantiated` lists and that has no definition committed
# by the new lifecycle). Reports every finding, and fails with exit code 3
# (not retried) when there is one.
# Env: CHANNEL, ORG (a local peer org on the channel: its admin reads the
# config and asks the org's first peer), ORGS (the org table), LEGACY_CHECK
# (false when the nodes run Fabric 3 already: no legacy chaincode runs, and
# the CLI has no legacy commands), TLS_ENABLED, ORDERER_ADDRESS,
# ORDERER_TLS_CA. The admin Secret is mounted at $ADMIN_MOUNT.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=update-lib.sh
. "$(dirname "$0")/update-lib.sh"

use_orderer
use_org_admin "$ORG"
use_first_peer
fetch_config "$CHANNEL" /tmp/config.json
fabric3_blockers < /tmp/config.json > /tmp/blockers
if [ "$LEGACY_CHECK" = true ]; then
  peer chaincode list --instantiated -C "$CHANNEL" > /tmp/instantiated.out
  legacy_chaincodes < /tmp/instantiated.out > /tmp/legacy
else
  : > /tmp/legacy
fi
while read -r name version; do
  if peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$name" > /tmp/committed.out 2> /tmp/committed.err; then
    log "$name (instantiated by the legacy lifecycle) has a definition of the new lifecycle"
  elif definition_absent < /tmp/committed.err; then
    echo "chaincode $name $version runs by the legacy lifecycle, which Fabric 3 removed: deploy it by the new lifecycle first (fabchart flow chaincode once the channel's Application capability is V2_0 or later)" >> /tmp/blockers
  else
    cat /tmp/committed.err >&2
    exit 1
  fi
done < /tmp/legacy

if [ -s /tmp/blockers ]; then
  while IFS= read -r blocker; do
    log "$CHANNEL: $blocker"
  done < /tmp/blockers
  log "$CHANNEL is not ready for Fabric 3: $(wc -l < /tmp/blockers) thing(s) to do first"
  exit 3
fi
log "$CHANNEL is ready for Fabric 3: Raft or BFT, the new chaincode lifecycle, endpoints per orderer org"
