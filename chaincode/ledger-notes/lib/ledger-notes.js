'use strict';

// A key-value contract: notes (UTF-8 strings) stored under keys, with each
// key's history and listing by key range. Plain JavaScript without
// decorators: fabric-contract-api finds the transactions by introspection and
// passes every argument as a string, whatever their count.

const { Contract } = require('fabric-contract-api');

// Fabric keeps composite keys under a leading U+0000, and treats a write of
// an empty value as a delete: neither is a note.
function checkKey(key) {
    if (typeof key !== 'string' || key.length === 0) {
        throw new Error('key must be a non-empty string');
    }
    if (key.startsWith('\u0000')) {
        throw new Error('key must not start with U+0000 (the composite key namespace)');
    }
}

async function readNote(ctx, key) {
    checkKey(key);
    const bytes = await ctx.stub.getState(key);
    if (!bytes || bytes.length === 0) {
        throw new Error(`no note under key "${key}"`);
    }
    return Buffer.from(bytes).toString('utf8');
}

function isoTime(timestamp) {
    if (!timestamp) {
        return null;
    }
    // A protobuf Timestamp as the shim gives it ({seconds, nanos}); seconds
    // may be a number, a string or a Long.
    const millis = Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos || 0) / 1e6);
    return new Date(millis).toISOString();
}

class LedgerNotes extends Contract {
    constructor() {
        super('ledger-notes');
    }

    /**
     * The --isInit invoke of a definition with initRequired (the chaincode
     * flow's flow.init.function, {"function":"init","Args":[]}). It writes
     * nothing: the peer records that the definition was initialized.
     */
    async init(ctx) {
        return 'initialized';
    }

    /**
     * The chaincode flow's check invoke ({"function":"ping","Args":[""]}):
     * answers "pong" and writes nothing. Any arguments are ignored.
     */
    async ping(ctx) {
        return 'pong';
    }

    /** Stores value (a non-empty string) under key; creates or replaces. */
    async put(ctx, key, value) {
        checkKey(key);
        if (typeof value !== 'string' || value.length === 0) {
            throw new Error('value must be a non-empty string (Fabric reads an empty write as a delete)');
        }
        await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    }

    /** The value under key; fails when there is none. */
    async get(ctx, key) {
        return readNote(ctx, key);
    }

    /** Removes the value under key; fails when there is none. */
    async delete(ctx, key) {
        await readNote(ctx, key);
        await ctx.stub.deleteState(key);
    }

    /**
     * Every committed change of key, oldest first, as JSON:
     * [{"txId","timestamp" (ISO 8601),"isDelete","value"}]. Needs the peer's
     * history database (ledger.history.enableHistoryDatabase, on by default).
     */
    async history(ctx, key) {
        checkKey(key);
        const changes = [];
        for await (const change of ctx.stub.getHistoryForKey(key)) {
            changes.push({
                txId: change.txId,
                timestamp: isoTime(change.timestamp),
                isDelete: change.isDelete,
                value: change.isDelete ? null : Buffer.from(change.value).toString('utf8'),
            });
        }
        // The peer gives the newest change first.
        return JSON.stringify(changes.reverse());
    }

    /**
     * The notes with startKey <= key < endKey in key order, as JSON
     * [{"key","value"}]; an empty startKey or endKey leaves that end open.
     */
    async list(ctx, startKey = '', endKey = '') {
        const notes = [];
        for await (const kv of ctx.stub.getStateByRange(startKey, endKey)) {
            notes.push({ key: kv.key, value: Buffer.from(kv.value).toString('utf8') });
        }
        return JSON.stringify(notes);
    }
}

module.exports = LedgerNotes;
