'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { FakePeer } = require('./fake-peer');

const text = (response) => Buffer.from(response.payload || []).toString('utf8');

async function ok(fabric, args, options) {
    const response = await fabric.invoke(args, options);
    assert.equal(response.status, 200, `${JSON.stringify(args)}: ${response.message}`);
    return text(response);
}

async function fails(fabric, args, message) {
    const response = await fabric.invoke(args);
    assert.equal(response.status, 500, `${JSON.stringify(args)} succeeded`);
    assert.match(response.message, message);
}

test('the flows\' invokes succeed: init (--isInit, no args) and ping (one empty arg)', async () => {
    const fabric = new FakePeer();
    assert.equal(await ok(fabric, ['init']), 'initialized');
    assert.equal(await ok(fabric, ['ping', '']), 'pong');
    assert.equal(await ok(fabric, ['ping']), 'pong');
    // the contract's own name also selects it
    assert.equal(await ok(fabric, ['ledger-notes:ping']), 'pong');
    assert.equal(fabric.state.size, 0, 'init and ping write nothing');
});

test('put then get returns the value; put replaces it', async () => {
    const fabric = new FakePeer();
    assert.equal(await ok(fabric, ['put', 'greeting', 'hello, ledger']), '');
    assert.equal(await ok(fabric, ['get', 'greeting']), 'hello, ledger');
    await ok(fabric, ['put', 'greeting', 'grüße ✓']);
    assert.equal(await ok(fabric, ['get', 'greeting']), 'grüße ✓');
});

test('a transaction reads committed state, not its own writes', async () => {
    const fabric = new FakePeer();
    await ok(fabric, ['put', 'k', 'v'], { submit: false }); // endorsed, never committed
    await fails(fabric, ['get', 'k'], /no note under key "k"/);
});

test('get and delete of a missing key fail; delete removes', async () => {
    const fabric = new FakePeer();
    await fails(fabric, ['get', 'nothing'], /no note under key "nothing"/);
    await fails(fabric, ['delete', 'nothing'], /no note under key "nothing"/);
    await ok(fabric, ['put', 'k', 'v']);
    await ok(fabric, ['delete', 'k']);
    await fails(fabric, ['get', 'k'], /no note under key "k"/);
});

test('bad keys and values are refused', async () => {
    const fabric = new FakePeer();
    await fails(fabric, ['put', '', 'v'], /key must be a non-empty string/);
    await fails(fabric, ['put', 'k', ''], /value must be a non-empty string/);
    await fails(fabric, ['put', '\u0000composite', 'v'], /U\+0000/);
    // fabric-contract-api counts the arguments of put, get, delete, history
    await fails(fabric, ['put', 'k'], /Expected 2 parameters, but 1 have been supplied/);
    await fails(fabric, ['get'], /Expected 1 parameters, but 0 have been supplied/);
    await fails(fabric, ['get', 'k', 'extra'], /Expected 1 parameters, but 2 have been supplied/);
    await fails(fabric, ['nosuchfunction'], /You've asked to invoke a function that does not exist: nosuchfunction/);
});

test('history lists every committed change, oldest first, deletes included', async () => {
    const fabric = new FakePeer();
    await ok(fabric, ['put', 'k', 'one']);
    await ok(fabric, ['put', 'k', 'two']);
    await ok(fabric, ['delete', 'k']);
    await ok(fabric, ['put', 'k', 'three']);
    await ok(fabric, ['put', 'other', 'x']);
    const history = JSON.parse(await ok(fabric, ['history', 'k']));
    assert.deepEqual(
        history.map(({ isDelete, value }) => ({ isDelete, value })),
        [
            { isDelete: false, value: 'one' },
            { isDelete: false, value: 'two' },
            { isDelete: true, value: null },
            { isDelete: false, value: 'three' },
        ],
    );
    for (const change of history) {
        assert.match(change.txId, /^[0-9a-f]{64}$/);
        assert.match(change.timestamp, /^2026-01-01T00:00:\d\d\.000Z$/);
    }
    assert.deepEqual(JSON.parse(await ok(fabric, ['history', 'never'])), []);
});

test('list gives a key range in key order, across result pages', async () => {
    const fabric = new FakePeer();
    for (const key of ['note-3', 'note-1', 'a', 'note-2', 'note-5', 'z']) {
        await ok(fabric, ['put', key, `value of ${key}`]);
    }
    const keys = async (...range) => JSON.parse(await ok(fabric, ['list', ...range])).map((kv) => kv.key);
    assert.deepEqual(await keys(), ['a', 'note-1', 'note-2', 'note-3', 'note-5', 'z']);
    assert.deepEqual(await keys('note-', 'note-~'), ['note-1', 'note-2', 'note-3', 'note-5']);
    assert.deepEqual(await keys('note-2', ''), ['note-2', 'note-3', 'note-5', 'z']);
    assert.deepEqual(await keys('', 'note-2'), ['a', 'note-1']);
    assert.deepEqual(JSON.parse(await ok(fabric, ['list', 'a', 'b'])), [{ key: 'a', value: 'value of a' }]);
    assert.deepEqual(fabric.openQueries.size, 0, 'every query iterator was closed');
});

test('the metadata lists the transactions (the peer CLI\'s GetMetadata)', async () => {
    const fabric = new FakePeer();
    const metadata = JSON.parse(await ok(fabric, ['org.hyperledger.fabric:GetMetadata']));
    const names = metadata.contracts['ledger-notes'].transactions.map((t) => t.name).sort();
    assert.deepEqual(names, ['delete', 'get', 'history', 'init', 'list', 'ping', 'put']);
});
