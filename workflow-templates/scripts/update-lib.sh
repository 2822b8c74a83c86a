# shellcheck shell=bash
# Shared by the config-update flows (peer-org, channel-update), sourced after
# lib.sh. Decisions are small functions reading the stock tools' output on
# stdin, tested against recorded output (tests/fixtures/flow/). Every value
# arrives through the environment or as an argument; jq programs are fixed
# text and take values with --arg/--argjson only.

# Makes the admin of org $1 (an entry of the ORGS table, its Secret mounted at
# $ADMIN_MOUNT) the peer CLI's identity.
use_org_admin() {
  load_org_admin "$1"
  use_identity "$ADMIN_DIR" "$MSP_ID"
}

# stdin: stderr of a failed `peer channel fetch`. Succeeds when the orderer has
# no such channel (deliver status NOT_FOUND), not on any other failure
# (FORBIDDEN: the reader is no member; unreachable orderer).
channel_absent() {
  grep -qF "can't read the block: &{NOT_FOUND}" || decided $?
}

# Fetches channel $1's current config, decoded (common.Config JSON), into $2.
# Fails when the fetch fails, its stderr in /tmp/fetch.err (and printed); a
# block that does not decode stops the step (the caller may be an `if`).
fetch_config() {
  if ! peer channel fetch config /tmp/config_block.pb -c "$1" "${ORDERER_ARGS[@]}" 2> /tmp/fetch.err; then
    cat /tmp/fetch.err >&2
    return 1
  fi
  configtxlator proto_decode --input /tmp/config_block.pb --type common.Block > /tmp/config_block.json || exit
  jq -e '.data.data[0].payload.data.config' /tmp/config_block.json > "$2" || exit
}

# stdin: decoded channel config. $1: JSON [org name], the orgs network.yaml
# puts on the channel; $2: the org table ({name: {mspId, ...}}). Prints the
# names of those the Application group lacks, one per line (an org's group
# key is its Name in configtx.yaml, which fabchart makes its MSP ID).
channel_orgs_missing() {
  jq -r --argjson want "$1" --argjson orgs "$2" '
    (.channel_group.groups.Application.groups // {}) as $have
    | $want[] | select($have[$orgs[.].mspId] == null)'
}

# stdin: decoded channel config. $1: JSON {group: [org name]}, the local
# admins who might sign, by the group (Application, Orderer) their org would
# be a member of; $2: the org table ({name: {mspId, secret, ...}}). Prints
# (JSON [{org, secret}]) those whose org is a member: the admins whose
# signatures count toward the group's Admins policy.
member_signers() {
  jq -c --argjson candidates "$1" --argjson orgs "$2" '.channel_group.groups as $groups
    | [$candidates | to_entries[] | .key as $group | .value[]
       | select($groups[$group].groups[$orgs[.].mspId] != null)
       | {org: ., secret: $orgs[.].secret}]'
}

# stdin: decoded channel config. $1: JSON {mspId: ConfigGroup}, each org's
# group as `configtxgen -printOrg` prints it. Prints the config with those orgs
# in its Application group.
add_org_groups() {
  jq --argjson groups "$1" '.channel_group.groups.Application.groups += $groups'
}

# stdin: decoded channel config. $1: JSON [{path, value}] (jq paths). Prints,
# as .a.b.c, the path of each value the config does not hold, one per line.
config_values_differ() {
  jq -r --argjson sets "$1" '. as $config | $sets[] | . as $set
    | select((try ($config | getpath($set.path)) catch null) != $set.value)
    | "." + ($set.path | map(tostring) | join("."))'
}

# stdin: decoded channel config. $1: JSON [{path, value}]. Prints the config
# with every value set. A group, value or policy created on the way gets
# mod_policy Admins, as configtxgen gives them (an empty one is refused).
config_set_values() {
  jq --argjson sets "$1" '
    reduce $sets[] as $set (.;
      setpath($set.path; $set.value)
      | reduce range(2; ($set.path | length) + 1) as $i (.;
          $set.path[:$i] as $p
          | if ($p[-2] | IN("groups", "values", "policies"))
              and (getpath($p) | type) == "object"
              and getpath($p + ["mod_policy"]) == null
            then setpath($p + ["mod_policy"]; "Admins") else . end))'
}

# stdin: stderr of a failed `peer channel update`. Succeeds when the orderer
# refused the update because its signatures do not satisfy a mod_policy (more
# admins must sign), not for any other reason (stale read set, bad value,
# unreachable orderer).
update_lacks_signatures() {
  grep -qE 'policy for \[[A-Za-z]+\] +[^ ]+ not satisfied: (implicit policy evaluation failed - [0-9]+ sub-policies were satisfied|signature set did not satisfy policy)' \
    || decided $?
}

# stdin: a decoded envelope (`configtxlator proto_decode --type common.Envelope`).
# Succeeds when it is a config update (CONFIG_UPDATE, type 2) for channel $1.
is_config_update_for() {
  jq -e --arg ch "$1" '.payload.header.channel_header.type == 2
    and .payload.header.channel_header.channel_id == $ch
    and .payload.data.config_update.channel_id == $ch' >/dev/null || decided $?
}

# stdin: decoded channel config. Prints what of the flow's desired state
# (DESIRED, read per FLOW) the config lacks, one per line; nothing: it holds.
desired_missing() {
  case "$FLOW" in
    peer-org) channel_orgs_missing "$DESIRED" "$ORGS" ;;
    channel-update) config_values_differ "$DESIRED" ;;
    *)
      log "unknown flow $FLOW"
      return 1
      ;;
  esac
}

# ---- protobuf wire format ----
# Signatures cover the exact bytes of the ConfigUpdate in an envelope, and
# re-encoding it from JSON may change them (its maps have no order). So the
# signatures of parallel signers are merged at the byte level: an envelope is
# Envelope{1: payload}, Payload{1: header, 2: data}, data is
# ConfigUpdateEnvelope{1: config_update, 2: signatures (repeated)}, and a
# repeated field grows by appending. Written by hand because the tools
# image has no tool for it: configtxlator only re-encodes from JSON, and
# `peer channel signconfigtx` adds its own signer's signature, not one made
# elsewhere. Tested against what signconfigtx writes when the signers sign in
# turn (tests/fixtures/flow/README.md).

# Writes the varint of $1.
pb_varint() {
  local n="$1"
  while [ "$n" -ge 128 ]; do
    printf '%b' "$(printf '\\0%03o' $(((n & 127) | 128)))"
    n=$((n >> 7))
  done
  printf '%b' "$(printf '\\0%03o' "$n")"
}

# Reads the varint at byte offset $2 of file $1 into PB_VALUE; PB_NEXT is the
# offset after it.
pb_read_varint() {
  local value=0 shift=0 bytes byte off="$2"
  bytes=$(od -An -v -tu1 -j "$off" -N 10 "$1") || return 1
  for byte in $bytes; do
    off=$((off + 1))
    value=$((value | ((byte & 127) << shift)))
    shift=$((shift + 7))
    if [ "$byte" -lt 128 ]; then
      PB_VALUE=$value
      PB_NEXT=$off
      return 0
    fi
  done
  return 1
}

# Prints the content of the last length-delimited field number $2 at the top
# level of the message in file $1; fails when there is none. (head reads only
# what it prints, tail all it is given: no side of the pipe quits early.)
pb_field() {
  local file="$1" size off=0 tag len found=""
  size=$(wc -c < "$file") || return 1
  while [ "$off" -lt "$size" ]; do
    pb_read_varint "$file" "$off" || return 1
    tag=$PB_VALUE
    off=$PB_NEXT
    case $((tag & 7)) in
      0)
        pb_read_varint "$file" "$off" || return 1
        off=$PB_NEXT
        ;;
      1) off=$((off + 8)) ;;
      2)
        pb_read_varint "$file" "$off" || return 1
        len=$PB_VALUE
        off=$PB_NEXT
        if [ $((tag >> 3)) -eq "$2" ]; then
          found="$off $len"
        fi
        off=$((off + len))
        ;;
      5) off=$((off + 4)) ;;
      *) return 1 ;;
    esac
  done
  [ -n "$found" ] && [ "$off" -eq "$size" ] || return 1
  read -r off len <<< "$found"
  head -c $((off + len)) "$file" | tail -c "$len"
}

# Writes field number $1 (length-delimited) holding the bytes of file $2.
pb_wrap() {
  local size
  size=$(wc -c < "$2")
  pb_varint $((($1 << 3) | 2))
  pb_varint "$size"
  cat "$2"
}

# Writes to $2 the config update envelope $1 with the ConfigSignatures in files
# $3... added, its config_update bytes untouched. The outer signature is
# dropped: `peer channel update` and `signconfigtx` sign the envelope anew.
envelope_add_signatures() {
  local in="$1" out="$2" signature
  shift 2
  pb_field "$in" 1 > /tmp/pb-payload || return 1
  pb_field /tmp/pb-payload 1 > /tmp/pb-header || return 1
  pb_field /tmp/pb-payload 2 > /tmp/pb-data || return 1
  for signature in "$@"; do
    pb_wrap 2 "$signature" >> /tmp/pb-data
  done
  pb_wrap 1 /tmp/pb-header > /tmp/pb-payload
  pb_wrap 2 /tmp/pb-data >> /tmp/pb-payload
  pb_wrap 1 /tmp/pb-payload > "$out"
}

# Prints the last ConfigSignature of config update envelope $1: the one
# `peer channel signconfigtx` added.
last_signature() {
  pb_field "$1" 1 > /tmp/pb-payload || return 1
  pb_field /tmp/pb-payload 2 > /tmp/pb-data || return 1
  pb_field /tmp/pb-data 2
}

# ---- the steps' plans and hand-overs ----

# A prepare step's outputs, in $OUTPUTS_DIR: plan (none, sign, unsigned,
# supplied), update (base64 envelope) and signers (JSON). Start: nothing to do.
plan_start() {
  mkdir -p "$OUTPUTS_DIR"
  echo none > "$OUTPUTS_DIR/plan"
  : > "$OUTPUTS_DIR/update"
  echo '[]' > "$OUTPUTS_DIR/signers"
}

# The update in file $1 goes to the local signers (plan sign), or, when no
# local admin's signature counts, on as it is (plan unsigned).
plan_update() {
  local signers
  base64 -w0 "$1" > "$OUTPUTS_DIR/update"
  signers=$(jq length "$OUTPUTS_DIR/signers")
  if [ "$signers" -gt 0 ]; then
    echo sign > "$OUTPUTS_DIR/plan"
  else
    log "no admin of this cluster is a member of $CHANNEL: handing the update on unsigned"
    echo unsigned > "$OUTPUTS_DIR/plan"
  fi
}

# No update is made here: wait for one supplied on resume (plan supplied).
plan_supplied() {
  log "not creating the update of $CHANNEL (flow.createUpdate.channel.enabled=false): waiting for one"
  resume_commands
  echo supplied > "$OUTPUTS_DIR/plan"
}

# How to give this workflow's wait step of channel $CHANNEL an update.
resume_commands() {
  local selector="displayName=wait,inputs.parameters.channel.value=$CHANNEL"
  log "Once the update is signed by enough admins (saved as signed.pb), give it to this workflow:"
  log "  argo node set $WORKFLOW_NAME -n $WORKFLOW_NAMESPACE --output-parameter update=\"\$(base64 -w0 signed.pb)\" --node-field-selector $selector"
  log "  argo resume $WORKFLOW_NAME -n $WORKFLOW_NAMESPACE --node-field-selector $selector"
  log "If someone else sent it already, set it empty (--output-parameter update=) and resume: the flow then only checks the channel."
}

# Hands the config update in file $1 on: keeps it in the pod while it runs,
# prints it base64 (the step's output parameter "signed" holds it too), how
# to save it and how to continue.
hand_on_update() {
  cp "$1" /tmp/signed-update.pb
  log "The config update of $CHANNEL, base64 (also output parameter \"signed\" of this step):"
  base64 -w0 "$1" >&2
  printf '\n' >&2
  log "Save it as update.pb:"
  log "  argo get $WORKFLOW_NAME -n $WORKFLOW_NAMESPACE -o json | jq -r '[.status.nodes[] | select(.templateName == \"config-update-submit\" and .phase == \"Succeeded\" and any(.inputs.parameters[]; .name == \"channel\" and .value == \"$CHANNEL\"))][0].outputs.parameters[] | select(.name == \"signed\").value' | base64 -d > update.pb"
  log "Another cluster adds its admins' signatures and sends it (or hands it on) with:"
  log "  fabchart flow channel-update --set update.scope=<scope> --set flow.channel.include={$CHANNEL} --set update.file=update.pb"
  resume_commands
}

# ---- the consenter set (channel-orderers.sh) ----

# Prints the jq definition of `consenters($type)`: a decoded channel
# config's consenter set, BFT's Orderers mapping or else Raft's
# ConsensusType metadata ([] when there is none).
consenters_def() {
  cat << 'JQ'
def consenters($type):
  if $type == "BFT"
  then .channel_group.groups.Orderer.values.Orderers.value.consenter_mapping
  else .channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters end
  // [];
JQ
}

# stdin: decoded channel config. $1: ORDERER_CONFIG. Prints, one compact
# JSON object per line, the consenters $1 lists that the config's consenter
# set lacks (matched by host and port).
consenters_missing() {
  jq -c --argjson want "$1" "$(consenters_def)"'
    (consenters($want.type) | map("\(.host):\(.port)")) as $have
    | $want.consenters[]
    | select("\(.host):\(.port)" as $address | $have | index($address) | not)'
}

# stdin: decoded channel config. $1: ORDERER_CONFIG. Prints the consenters
# (host:port) the config has and $1 does not list.
consenters_extra() {
  jq -r --argjson want "$1" "$(consenters_def)"'
    ($want.consenters | map("\(.host):\(.port)")) as $listed
    | consenters($want.type)[]
    | "\(.host):\(.port)"
    | select(. as $address | $listed | index($address) | not)'
}

# stdin: decoded channel config of a BFT channel. Prints it with the
# BlockValidation policy made from the consenter mapping, as configtxgen
# makes it: n-out-of the consenters' identities, with n = ceil((N + f + 1) / 2)
# and f = floor((N - 1) / 3).
block_validation() {
  jq '.channel_group.groups.Orderer.values.Orderers.value.consenter_mapping as $mapping
    | ($mapping | length) as $n
    | ((($n - 1) / 3) | floor) as $f
    | .channel_group.groups.Orderer.policies.BlockValidation.policy = {type: 1, value: {
        identities: [$mapping[] | {principal: {id_bytes: .identity, mspid: .msp_id},
                                   principal_classification: "IDENTITY"}],
        rule: {n_out_of: {n: ((($n + $f + 1) / 2) | ceil), rules: [range(0; $n) | {signed_by: .}]}},
        version: 0}}'
}

# $1: the consensus type, $2: a number of consenters. Prints how many of
# them must be up for the channel to order: Raft a majority, BFT
# ceil((N + f + 1) / 2) with f = floor((N - 1) / 3).
quorum() {
  if [ "$1" = BFT ]; then
    echo $((($2 + ($2 - 1) / 3 + 2) / 2))
  else
    echo $(($2 / 2 + 1))
  fi
}

# stdin: decoded channel config. $1: the consensus type. Prints the number
# of consenters the config has.
consenter_count() {
  jq -r --arg type "$1" "$(consenters_def)"' consenters($type) | length'
}

# stdin: decoded channel config. $1: a consenter's host:port, $2 the
# consensus type. Prints the config without the consenter (BFT: and the
# BlockValidation policy made again), and without its address among any
# org's endpoints that list another.
without_consenter() {
  jq --arg address "$1" --arg type "$2" '
    if $type == "BFT" then
      .channel_group.groups.Orderer.values.Orderers.value.consenter_mapping
        |= map(select("\(.host):\(.port)" != $address))
    else
      .channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters
        |= map(select("\(.host):\(.port)" != $address))
    end
    | .channel_group.groups.Orderer.groups |= map_values(
        if (.values.Endpoints.value.addresses // []) - [$address] | length > 0
        then .values.Endpoints.value.addresses |= (. // [] | . - [$address]) else . end)' \
    | if [ "$2" = BFT ]; then block_validation; else cat; fi
}

# stdin: decoded channel config. $1: a consenter of ORDERER_CONFIG, $2 the
# consensus type, $3 and $4 its TLS and (BFT) enrollment certificates (base64 PEM).
# Prints the config with the consenter added (BFT: with its ID, or one above
# the highest when another consenter has that ID: IDs of members never
# change, and the BlockValidation policy made again), and the consenter's
# endpoint among its org's.
with_consenter() {
  jq --argjson c "$1" --arg type "$2" --arg tls "$3" --arg identity "$4" '
    if $type == "BFT" then
      (.channel_group.groups.Orderer.values.Orderers.value.consenter_mapping | map(.id)) as $ids
      | (if $ids | index($c.id) then ($ids | max) + 1 else $c.id end) as $id
      | .channel_group.groups.Orderer.values.Orderers.value.consenter_mapping += [{
        id: $id, host: $c.host, port: $c.port, msp_id: $c.mspId,
        identity: $identity, client_tls_cert: $tls, server_tls_cert: $tls}]
    else
      .channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters += [{
        host: $c.host, port: $c.port, client_tls_cert: $tls, server_tls_cert: $tls}]
    end
    | if (.channel_group.groups.Orderer.groups[$c.mspId].values.Endpoints.value.addresses // null) as $endpoints
         | $endpoints == null or ($endpoints | index($c.endpoint))
      then . else .channel_group.groups.Orderer.groups[$c.mspId].values.Endpoints.value.addresses += [$c.endpoint] end' \
    | if [ "$2" = BFT ]; then block_validation; else cat; fi
}

# ---- the upgrade to Fabric 3 ----

# stdin: decoded channel config. Prints, one per line, what in it Fabric 3
# cannot run or the V3_0 channel capability refuses: an ordering type other
# than Raft or BFT, an Application capability below V2_0 (the legacy
# lifecycle), global OrdererAddresses, an orderer org without Endpoints.
fabric3_blockers() {
  jq -r '
    .channel_group as $channel
    | ($channel.groups.Orderer.values.ConsensusType.value.type // "") as $type
    | (if ["etcdraft", "BFT"] | index($type) then empty
       else "orders with \($type | if . == "" then "no consensus type" else . end): Fabric 3 orders with Raft (etcdraft) or BFT only; migrate the channel to Raft on Fabric 2.5 first" end),
      (($channel.groups.Application.values.Capabilities.value.capabilities // {} | keys)
       | if any(.[]; . == "V2_0" or . == "V2_5") then empty
         else "its Application capabilities (\(join(", ") | if . == "" then "none" else . end)) use the legacy chaincode lifecycle, which Fabric 3 removed: set V2_0 or V2_5 with fabchart flow channel-update (update.scope=application) and move chaincodes to the new lifecycle first" end),
      (if $channel.values.OrdererAddresses then
         "it has global OrdererAddresses, which the V3_0 channel capability refuses: list every orderer org'"'"'s endpoints (OrdererEndpoints) and remove the global ones with a config update first"
       else empty end),
      ($channel.groups.Orderer.groups // {} | to_entries[]
       | select((.value.values.Endpoints.value.addresses // []) | length == 0)
       | "orderer org \(.key) lists no endpoints (OrdererEndpoints), which Fabric 3 needs: add them with a config update first")'
}
