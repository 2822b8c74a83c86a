#!/usr/bin/env bash
# Legacy lifecycle, for chaincode $CC_NAME and org $ORG: installs version
# $CC_VERSION with `peer chaincode install` on every peer of the org that does
# not list it as installed. The source comes from the org's lifecycle package
# (fabchart packs `type: source` chaincodes); the peer builds and launches it
# through its Docker endpoint (the chart's peer.docker.dind).
# Env: CC_NAME, CC_VERSION, CC_LANG, ORG, ORGS, TLS_ENABLED.
# Mounts: $ADMIN_MOUNT (org admin Secret), $PACKAGE_FILE.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

load_org_admin "$ORG"
legacy_source "$PACKAGE_FILE" /tmp/legacy "$CC_LANG" "$CC_NAME"

printf '%s' "$ORG_JSON" | jq -r '.peers[]' > /tmp/peers
while read -r peer; do
  use_peer "$ADMIN_DIR" "$MSP_ID" "$peer"
  peer chaincode list --installed > /tmp/installed.out
  if legacy_installed "$CC_NAME" "$CC_VERSION" < /tmp/installed.out; then
    log "$peer has $CC_NAME $CC_VERSION"
    continue
  fi
  peer chaincode install -n "$CC_NAME" -v "$CC_VERSION" -l "$CC_LANG" -p "$LEGACY_PATH"
  log "$peer installed $CC_NAME $CC_VERSION"
done < /tmp/peers
