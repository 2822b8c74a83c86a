# shellcheck shell=bash
# Shared by every flow step. The "already done?" decisions are small functions
# reading the stock tools' output on stdin, so tests can feed them recorded
# output (tests/fixtures/flow/). Every value arrives through the environment;
# nothing user-written is pasted into script text.
# Steps run it with `set -euo pipefail` and `shopt -s inherit_errexit`, so a
# failure inside `$(...)` or a pipe stops them too. Lists are looped over from
# files, not `< <(...)`, whose failure no option reports.

log() { printf '%s\n' "$*" >&2; }

# Ends a yes/no decision with the status $1 of the check that made it: 0 (yes)
# and 1 (no) are answers; any other (a tool's error, output it cannot read)
# stops the step, also where the decision is an `if` condition, in which set
# -e does not act. The decisions read their input from a file, never from a
# pipe, so that they run in the step's own shell.
decided() {
  case "$1" in
    0 | 1) return "$1" ;;
  esac
  log "${FUNCNAME[1]}: cannot decide (status $1)"
  exit "$1"
}

# Rebuilds cryptogen's layout of an identity from a Secret mounted as flat keys.
# $1: mounted Secret folder, $2: JSON [{key, mount}], $3: destination folder.
materialize_identity() {
  local src="$1" files="$2" dest="$3" key mount
  printf '%s' "$files" | jq -r '.[] | "\(.key) \(.mount)"' > /tmp/identity-files
  while read -r key mount; do
    mkdir -p "$dest/$(dirname "$mount")"
    cp "$src/$key" "$dest/$mount"
  done < /tmp/identity-files
}

# Loads org $1's entry of the ORGS table into ORG_JSON and its MSP ID into
# MSP_ID, and rebuilds its admin identity (Secret mounted at $ADMIN_MOUNT)
# at $ADMIN_DIR.
load_org_admin() {
  local files
  ORG_JSON=$(printf '%s' "$ORGS" | jq -ce --arg org "$1" '.[$org]')
  MSP_ID=$(printf '%s' "$ORG_JSON" | jq -er '.mspId')
  export ORG_JSON MSP_ID
  files=$(printf '%s' "$ORG_JSON" | jq -ce '.adminFiles')
  materialize_identity "$ADMIN_MOUNT" "$files" "$ADMIN_DIR"
}

# Rebuilds configtx.yaml and the public MSPs next to it from the hlf-configtx
# ConfigMap, whose `items` file lists "<key> <path>" per line.
# $1: mounted ConfigMap folder, $2: destination folder.
materialize_configtx() {
  local src="$1" dest="$2" key path
  while read -r key path; do
    mkdir -p "$dest/$(dirname "$path")"
    cp "$src/$key" "$dest/$path"
  done < "$src/items"
}

# stdin: `osnadmin channel list` output (with its "Status: 200" line).
# Succeeds when channel $1 is among the orderer's channels.
osn_channel_listed() {
  sed '/^Status: /d' | jq -e --arg ch "$1" '[.channels[]?.name] | index($ch) != null' >/dev/null \
    || decided $?
}

# stdin: `peer channel list` output. Succeeds when the peer has joined channel $1.
# (grep reads to the end: with -q it could leave sed to die of SIGPIPE.)
peer_channel_joined() {
  sed '1{/^Channels peers has joined/d}' | grep -xF -- "$1" >/dev/null || decided $?
}

# stdin: decoded channel config (`configtxlator proto_decode --type common.Config`).
# Succeeds when org $1's AnchorPeers equal the JSON list $2 ([{host, port}]), in any order.
anchor_peers_set() {
  jq -e --arg msp "$1" --argjson want "$2" '
    ([.channel_group.groups.Application.groups[$msp].values.AnchorPeers.value.anchor_peers[]? | {host, port}] | sort)
    == ($want | map({host, port}) | sort)' >/dev/null || decided $?
}

# stdin: decoded channel config; stdout: the same config with org $1's
# AnchorPeers set to $2, keeping the value's mod_policy and version.
anchor_peers_update() {
  jq --arg msp "$1" --argjson want "$2" '
    .channel_group.groups.Application.groups[$msp].values.AnchorPeers |=
      ((. // {mod_policy: "Admins", version: "0"}) | .value = {anchor_peers: $want})'
}

# Writes to $4 the CONFIG_UPDATE envelope for channel $1 that turns config $2
# into config $3 (decoded common.Config JSON files), unsigned.
config_update_envelope() {
  configtxlator proto_encode --input "$2" --type common.Config --output /tmp/original.pb
  configtxlator proto_encode --input "$3" --type common.Config --output /tmp/modified.pb
  configtxlator compute_update --channel_id "$1" --original /tmp/original.pb \
    --updated /tmp/modified.pb --output /tmp/config_update.pb
  configtxlator proto_decode --input /tmp/config_update.pb --type common.ConfigUpdate > /tmp/config_update.json
  jq --arg channel "$1" \
    '{payload: {header: {channel_header: {channel_id: $channel, type: 2}}, data: {config_update: .}}}' \
    /tmp/config_update.json > /tmp/envelope.json
  configtxlator proto_encode --input /tmp/envelope.json --type common.Envelope --output "$4"
}

# stdin: `peer lifecycle chaincode queryinstalled --output json`.
# Succeeds when package id $1 is installed.
package_installed() {
  jq -e --arg id "$1" '[.installed_chaincodes[]?.package_id] | index($id) != null' >/dev/null \
    || decided $?
}

# Prints the package ID of lifecycle package $1, as `peer lifecycle chaincode
# calculatepackageid` does: its metadata's label, ":", the file's sha256.
package_id() {
  local label hash
  label=$(tar -xzOf "$1" metadata.json | jq -er '.label')
  hash=$(sha256sum "$1")
  printf '%s:%s\n' "$label" "${hash%% *}"
}

# stdin: `querycommitted --output json` of one chaincode; stdout: its sequence.
definition_sequence() {
  jq -r '.sequence // 0'
}

# stdin: the stderr of a failed `querycommitted`/`queryapproved`. Succeeds when
# it failed because there is no such definition (not a connection problem).
definition_absent() {
  grep -qE 'not defined|could not fetch|404' || decided $?
}

# stdin: a chaincode definition as `querycommitted`/`queryapproved --output json`
# print it. $1: the definition's validation parameter decoded by configtxlator
# (protos.ApplicationPolicy JSON; configtxlator leaves each principal as
# base64 of its MSPRole message: field 1 the MSP ID, field 2 the role; any
# other principal reads as "?<base64>", which no desired policy matches).
# Compares with the desired definition in CC_VERSION, CC_INIT_REQUIRED
# (true/false), CC_POLICY (one line, as fabchart's policy::canonical_text
# writes it), CC_COLLECTIONS (the collections, in order, in fabchart's
# canonical shape: src/flow/collections.rs) and, when set, CC_PACKAGE_ID (for
# an org's approval). The peer CLI prints collections with Go's
# encoding/json: oneofs under their Go names, zero values left out.
definition_matches() {
  jq -e --argjson policy "$1" \
    --arg version "$CC_VERSION" \
    --argjson init "$CC_INIT_REQUIRED" \
    --arg want_policy "$CC_POLICY" \
    --argjson collections "$CC_COLLECTIONS" \
    --arg package "${CC_PACKAGE_ID:-}" '
    def rule_text: if has("signed_by") then "#\(.signed_by // 0)"
      else "\(.n_out_of.n // 0)(\([.n_out_of.rules[]? | rule_text] | join(",")))" end;
    def role_text: . as $principal | (@base64d | explode) as $b | ($b[1] // 0) as $n
      | if $b[0] != 10 or $n > 127 then "?\($principal)"
        else ($b[2:2 + $n] | implode) + "."
          + (["MEMBER", "ADMIN", "CLIENT", "PEER", "ORDERER"][$b[3 + $n] // 0] // "UNKNOWN") end;
    def policy_text:
      if .signature_policy then .signature_policy
        | "\(.rule | rule_text);\([.identities[]? | .principal | role_text] | join(","))"
      elif .channel_config_policy_reference then "ref:\(.channel_config_policy_reference)"
      else "" end;
    def go_rule: (.Type // {}) as $t
      | if ($t | has("SignedBy")) then {signed_by: $t.SignedBy}
        else {n_out_of: {n: ($t.NOutOf.n // 0), rules: [$t.NOutOf.rules[]? | go_rule]}} end;
    def go_signature_policy: {version: (.version // 0), rule: (.rule | go_rule),
      identities: [.identities[]? | {principal_classification: (.principal_classification // 0),
        principal: (.principal // "")}]};
    def go_collection: .Payload.StaticCollectionConfig // {} | {
      name: (.name // ""),
      member_orgs_policy: (.member_orgs_policy.Payload.SignaturePolicy // {} | go_signature_policy),
      required_peer_count: (.required_peer_count // 0),
      maximum_peer_count: (.maximum_peer_count // 0),
      block_to_live: (.block_to_live // 0),
      member_only_read: (.member_only_read // false),
      member_only_write: (.member_only_write // false),
      endorsement_policy: (.endorsement_policy.Type // null
        | if . == null then null
          elif has("SignaturePolicy") then {signature_policy: (.SignaturePolicy | go_signature_policy)}
          else {channel_config_policy_reference: .ChannelConfigPolicyReference} end)};
    (.version == $version)
    and ((.init_required // false) == $init)
    and (($policy | policy_text) == $want_policy)
    and ([.collections.config[]? | go_collection] == $collections)
    and ($package == "" or ([.. | .package_id? // empty] | index($package) != null))' >/dev/null \
    || decided $?
}

# stdin: `checkcommitreadiness --output json`; $1: JSON [MSP ID], the orgs
# expected to approve. Prints those whose approval of the definition is
# missing, one per line (an MSP the channel does not list counts as missing).
# Fails on output that is no readiness report.
approvals_missing() {
  jq -r --argjson want "$1" '.approvals as $a | if ($a | type) != "object" then error("no approvals")
    else $want[] | select($a[.] != true) end'
}

# $1: MSP IDs, one per line; $2: JSON [MSP ID]. Succeeds when each one of $1
# is in $2.
all_listed() {
  jq -e -n --arg ids "$1" --argjson list "$2" \
    '[$ids | splits("\n") | select(. != "")] | all(. as $id | $list | index($id) != null)' >/dev/null \
    || decided $?
}

# stdin: the stderr of a failed `peer chaincode invoke --isInit`. Succeeds when
# the chaincode refused because this version is initialized already.
already_initialized() {
  grep -q 'is already initialized but called as init' || decided $?
}

# ---- legacy lifecycle (channels whose Application capabilities lack V2_0) ----

# stdin: `peer chaincode list --installed` or `--instantiated -C <channel>`
# output ("Name: <n>, Version: <v>, Path: ..." per chaincode); stdout:
# "<name> <version>" per chaincode.
legacy_chaincodes() {
  local line name version
  while IFS= read -r line; do
    case "$line" in
      "Name: "*) ;;
      *) continue ;;
    esac
    name=${line#Name: }
    name=${name%%, *}
    version=""
    case "$line" in
      *", Version: "*)
        version=${line#*, Version: }
        version=${version%%, *}
        ;;
    esac
    printf '%s %s\n' "$name" "$version"
  done
}

# stdin: `peer chaincode list --installed`. Succeeds when chaincode $1 is
# installed at version $2.
legacy_installed() {
  legacy_chaincodes | grep -xF -- "$1 $2" >/dev/null || decided $?
}

# stdin: `peer chaincode list --instantiated -C <channel>`. Prints what chaincode
# $1 at version $2 needs on the channel: instantiate (absent), upgrade (another
# version is instantiated) or none.
legacy_deploy_action() {
  local name version current="" listed
  listed=$(legacy_chaincodes)
  while read -r name version; do
    if [ "$name" = "$1" ]; then
      current=$version
    fi
  done <<< "$listed"
  if [ -z "$current" ]; then
    echo instantiate
  elif [ "$current" = "$2" ]; then
    echo none
  else
    echo upgrade
  fi
}

# Unpacks the source of lifecycle package $1 (a `type: source` package made by
# fabchart as `peer lifecycle chaincode package` would) into folder $2 and sets
# LEGACY_PATH to what `peer chaincode install -p` takes for language $3 and
# chaincode $4: the folder itself for node, java and Go modules; for Go without
# go.mod, the import path $4 in GOPATH $2/code. META-INF goes into the folder.
# Go packaging runs the go tool (in the tools image since Fabric 2.5.1), which
# needs the module's dependencies: vendored, or from GOPROXY.
legacy_source() {
  local package="$1" dest="$2" lang="$3" name="$4" dir
  mkdir -p "$dest/package" "$dest/code"
  tar -xzf "$package" -C "$dest/package" code.tar.gz
  tar -xzf "$dest/package/code.tar.gz" -C "$dest/code"
  LEGACY_PATH="$dest/code/src"
  dir=$LEGACY_PATH
  if [ "$lang" = golang ]; then
    export GOPATH="$dest/gopath" GOCACHE="$dest/gocache"
    if [ ! -f "$dir/go.mod" ]; then
      dir="$dir/$name" LEGACY_PATH=$name GOPATH="$dest/code"
      export GO111MODULE=off
    fi
  fi
  if [ -d "$dest/code/META-INF" ]; then
    mv "$dest/code/META-INF" "$dir"
  fi
}

# Sets LEGACY_ARGS to the instantiate/upgrade flags of the definition
# load_definition loaded: the signature policy and the collections config.
legacy_definition_args() {
  LEGACY_ARGS=()
  case "$CC_POLICY_KIND" in
    signature) LEGACY_ARGS+=(-P "$CC_POLICY_TEXT") ;;
    channelConfig)
      log "the legacy lifecycle has no channel-config policies ($CC_POLICY_TEXT)"
      return 1
      ;;
  esac
  if [ -f /tmp/collections.json ]; then
    LEGACY_ARGS+=(--collections-config /tmp/collections.json)
  fi
}

# stdin: osnadmin output. Succeeds when its "Status:" line is a 2xx.
osn_status_ok() {
  grep -qE '^Status: 2[0-9][0-9]$' || decided $?
}

# stdin: a definition's JSON; stdout: its validation parameter decoded to
# ApplicationPolicy JSON, or {} when it has none.
decode_validation_parameter() {
  local b64
  b64=$(jq -r '.validation_parameter // ""')
  if [ -z "$b64" ]; then
    printf '{}'
    return
  fi
  printf '%s' "$b64" | base64 -d > /tmp/validation.pb
  configtxlator proto_decode --type protos.ApplicationPolicy --input /tmp/validation.pb
}

# Peer CLI environment for org admin at $1 (materialized identity folder),
# MSP ID $2, talking to peer address $3.
use_peer() {
  use_identity "$1" "$2"
  export CORE_PEER_ADDRESS="$3"
}

# Makes the identity in folder $1 (cryptogen's layout, MSP ID $2) the peer
# CLI's: the one place that sets it.
use_identity() {
  export CORE_PEER_LOCALMSPID="$2"
  export CORE_PEER_MSPCONFIGPATH="$1/$ID_MSP"
  export CORE_PEER_TLS_ROOTCERT_FILE="$1/$ID_TLS_CA"
  export CORE_PEER_TLS_ENABLED="$TLS_ENABLED"
}

# Points the peer CLI, as the admin load_org_admin rebuilt, at the org's
# first peer.
use_first_peer() {
  local address
  address=$(printf '%s' "$ORG_JSON" | jq -er '.peers[0]')
  use_peer "$ADMIN_DIR" "$MSP_ID" "$address"
}

# Rebuilds the chart's configtx tree at $CONFIGTX_DIR (ORDERER_TLS_CA points
# into it) and sets ORDERER_ARGS, the arguments that reach the flow orderer
# (client port), TLS per the network.
use_orderer() {
  materialize_configtx "$CONFIGTX_MOUNT" "$CONFIGTX_DIR"
  ORDERER_ARGS=(-o "$ORDERER_ADDRESS")
  if [ "$TLS_ENABLED" = true ]; then
    ORDERER_ARGS+=(--tls --cafile "$ORDERER_TLS_CA")
  fi
}

# Loads chaincode $CC_NAME's desired definition on channel $1 from
# DEFINITIONS ({channel: {initRequired, policyKind, policyText, policy,
# collections, collectionsConfig}}) into CC_* variables.
load_definition() {
  local def collections
  def=$(printf '%s' "$DEFINITIONS" | jq -ce --arg ch "$1" '.[$ch]')
  CC_INIT_REQUIRED=$(printf '%s' "$def" | jq -r '.initRequired')
  CC_POLICY=$(printf '%s' "$def" | jq -r '.policy')
  CC_POLICY_KIND=$(printf '%s' "$def" | jq -r '.policyKind')
  CC_POLICY_TEXT=$(printf '%s' "$def" | jq -r '.policyText // ""')
  CC_COLLECTIONS=$(printf '%s' "$def" | jq -c '.collections')
  rm -f /tmp/collections.json
  collections=$(printf '%s' "$def" | jq '.collectionsConfig != null')
  if [ "$collections" = true ]; then
    printf '%s' "$def" | jq -r '.collectionsConfig' > /tmp/collections.json
  fi
  export CC_INIT_REQUIRED CC_POLICY CC_POLICY_KIND CC_POLICY_TEXT CC_COLLECTIONS
}

# Sets DEF_ARGS to the lifecycle flags of the desired definition on channel $1
# at sequence $2.
definition_args() {
  DEF_ARGS=(--channelID "$1" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$2")
  case "$CC_POLICY_KIND" in
    signature) DEF_ARGS+=(--signature-policy "$CC_POLICY_TEXT") ;;
    channelConfig) DEF_ARGS+=(--channel-config-policy "$CC_POLICY_TEXT") ;;
  esac
  if [ "$CC_INIT_REQUIRED" = true ]; then
    DEF_ARGS+=(--init-required)
  fi
  if [ -f /tmp/collections.json ]; then
    DEF_ARGS+=(--collections-config /tmp/collections.json)
  fi
}

# Prints "<sequence> <committed>": the sequence the desired definition has on
# channel $1 (committed: true) or gets (false); a changed definition bumps it.
plan_sequence() {
  local policy current
  if peer lifecycle chaincode querycommitted -C "$1" -n "$CC_NAME" --output json \
    > /tmp/committed.json 2> /tmp/committed.err; then
    policy=$(decode_validation_parameter < /tmp/committed.json)
    current=$(definition_sequence < /tmp/committed.json)
    if CC_PACKAGE_ID='' definition_matches "$policy" < /tmp/committed.json; then
      echo "$current true"
    else
      echo "$((current + 1)) false"
    fi
  elif definition_absent < /tmp/committed.err; then
    echo "1 false"
  else
    cat /tmp/committed.err >&2
    return 1
  fi
}

# Sets PEER_ARGS to --peerAddresses (and their TLS CAs) of a peer of each org
# in ENDORSERS (JSON [org name], entries of the ORGS table); the CAs come from
# the public MSPs in $CONFIGTX_DIR.
endorser_args() {
  local address msp_dir ca
  PEER_ARGS=()
  printf '%s' "$ORGS" | jq -r --argjson names "$ENDORSERS" \
    '. as $orgs | $names[] | $orgs[.] | "\(.peers[0]) \(.mspDir)"' > /tmp/endorsers
  while read -r address msp_dir; do
    PEER_ARGS+=(--peerAddresses "$address")
    if [ "$TLS_ENABLED" = true ]; then
      for ca in "$CONFIGTX_DIR/$msp_dir"/tlscacerts/*; do
        PEER_ARGS+=(--tlsRootCertFiles "$ca")
        break
      done
    fi
  done < /tmp/endorsers
}

# Prints the MSP IDs (JSON list) of the orgs in ENDORSERS (entries of the ORGS
# table) followed by those of EXTERNAL_APPROVERS.
approvers() {
  printf '%s' "$ORGS" | jq -c --argjson names "$ENDORSERS" --argjson external "$EXTERNAL_APPROVERS" \
    '. as $orgs | [$names[] | $orgs[.].mspId] + $external'
}
