'use strict';

// Runs transactions through fabric-shim's own code, as the chaincode server
// does: the contract as fabric-shim's bootstrap loads it (package.json's
// "main"), ChaincodeFromContract's dispatch, a real ChaincodeStub decoding a
// real SignedProposal, and the shim's iterators decoding QueryResponse
// protobufs. Only the peer's side of the gRPC stream is replaced, by an
// in-memory ledger that behaves as a peer does: a transaction reads the
// committed state (not its own writes), its writes are committed only when
// it succeeds, each commit is recorded in the key's history, and range and
// history results come in pages (QUERY_STATE_NEXT).

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { common, ledger, msp, peer } = require('@hyperledger/fabric-protos');
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js');
const Bootstrap = require('fabric-shim/lib/contract-spi/bootstrap');
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract');
const ChaincodeStub = require('fabric-shim/lib/stub');
const { HistoryQueryIterator, StateQueryIterator } = require('fabric-shim/lib/iterators');

const MODULE = path.join(__dirname, '..');
const CREATOR_CERT = fs.readFileSync(path.join(__dirname, 'fixtures', 'user1-cert.pem'));
const PAGE = 2;

function timestampAt(millis) {
    const ts = new Timestamp();
    ts.setSeconds(Math.floor(millis / 1000));
    ts.setNanos((millis % 1000) * 1e6);
    return ts;
}

function signedProposal(channel, txId, args, millis) {
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
    channelHeader.setChannelId(channel);
    channelHeader.setTxId(txId);
    channelHeader.setTimestamp(timestampAt(millis));
    const creator = new msp.SerializedIdentity();
    creator.setMspid('HarborMSP');
    creator.setIdBytes(CREATOR_CERT);
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setCreator(creator.serializeBinary());
    signatureHeader.setNonce(crypto.randomBytes(24));
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());
    const input = new peer.ChaincodeInput();
    input.setArgsList(args.map((arg) => Buffer.from(arg, 'utf8')));
    const spec = new peer.ChaincodeSpec();
    spec.setInput(input);
    const invocation = new peer.ChaincodeInvocationSpec();
    invocation.setChaincodeSpec(spec);
    const payload = new peer.ChaincodeProposalPayload();
    payload.setInput(invocation.serializeBinary());
    const proposal = new peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(payload.serializeBinary());
    const signed = new peer.SignedProposal();
    signed.setProposalBytes(proposal.serializeBinary());
    signed.setSignature(Buffer.from('not checked by the chaincode'));
    return { signed, input };
}

class FakePeer {
    constructor(channel = 'trade') {
        const { contracts, serializers, title, version } = Bootstrap.getInfoFromContract(MODULE);
        this.chaincode = new ChaincodeFromContract(contracts, serializers, {}, title, version);
        this.channel = channel;
        this.state = new Map(); // key -> Buffer (committed)
        this.history = new Map(); // key -> [{txId, millis, isDelete, value}]
        this.clock = Date.UTC(2026, 0, 1);
        this.txCount = 0;
        this.openQueries = new Map();
    }

    /**
     * Runs one transaction: args as the peer CLI's -c '{"Args":[...]}'
     * (function name first). Returns the shim's response ({status, message,
     * payload}); commits the writes when submit is true and it succeeded.
     */
    async invoke(args, { submit = true } = {}) {
        this.clock += 1000;
        const txId = crypto.randomBytes(32).toString('hex');
        const { signed, input } = signedProposal(this.channel, txId, args, this.clock);
        const writes = new Map();
        const stub = new ChaincodeStub(this.handler(writes), this.channel, txId, input, signed);
        const response = await this.chaincode.Invoke(stub);
        if (submit && response.status === 200) {
            for (const [key, value] of writes) {
                const change = { txId, millis: this.clock, isDelete: value === null, value };
                if (value === null) {
                    this.state.delete(key);
                } else {
                    this.state.set(key, value);
                }
                this.history.set(key, [...(this.history.get(key) || []), change]);
            }
        }
        this.txCount += 1;
        return response;
    }

    /** The peer's side of the shim's ChaincodeMessageHandler calls. */
    handler(writes) {
        const peerSide = this;
        return {
            async handleGetState(collection, key) {
                return Buffer.from(peerSide.state.get(key) || Buffer.alloc(0));
            },
            async handlePutState(collection, key, value) {
                writes.set(key, Buffer.from(value));
            },
            async handleDeleteState(collection, key) {
                writes.set(key, null);
            },
            async handleGetStateByRange(collection, startKey, endKey, channel, txId) {
                // The shim sends U+0001 for an empty start key; the peer
                // reads it as "from the first key".
                const keys = [...peerSide.state.keys()]
                    .filter((k) => !k.startsWith('\u0000'))
                    .filter((k) => (startKey === '\u0001' || k >= startKey) && (endKey === '' || k < endKey))
                    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
                const rows = keys.map((k) => {
                    const kv = new ledger.queryresult.KV();
                    kv.setNamespace('ledger-notes');
                    kv.setKey(k);
                    kv.setValue(peerSide.state.get(k));
                    return kv.serializeBinary();
                });
                return { iterator: new StateQueryIterator(this, channel, txId, peerSide.page(rows)) };
            },
            async handleGetHistoryForKey(key, channel, txId) {
                const rows = [...(peerSide.history.get(key) || [])].reverse().map((change) => {
                    const km = new ledger.queryresult.KeyModification();
                    km.setTxId(change.txId);
                    km.setValue(change.value || Buffer.alloc(0));
                    km.setTimestamp(timestampAt(change.millis));
                    km.setIsDelete(change.isDelete);
                    return km.serializeBinary();
                });
                return new HistoryQueryIterator(this, channel, txId, peerSide.page(rows));
            },
            async handleQueryStateNext(id) {
                return peerSide.page(peerSide.openQueries.get(id), id);
            },
            async handleQueryStateClose(id) {
                peerSide.openQueries.delete(id);
                const response = new peer.QueryResponse();
                response.setId(id);
                return response;
            },
        };
    }

    /** The next page of a query's rows, as a peer.QueryResponse. */
    page(rows, id = crypto.randomUUID()) {
        const response = new peer.QueryResponse();
        response.setId(id);
        response.setResultsList(
            rows.slice(0, PAGE).map((bytes) => {
                const r = new peer.QueryResultBytes();
                r.setResultbytes(bytes);
                return r;
            }),
        );
        response.setHasMore(rows.length > PAGE);
        this.openQueries.set(id, rows.slice(PAGE));
        return response;
    }
}

module.exports = { FakePeer };
