'use strict';

// server.js as the chart's Deployment runs it: CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID in the environment, no arguments.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { test } = require('node:test');

const SERVER = path.join(__dirname, '..', 'server.js');

function run(env) {
    const child = spawn(process.execPath, [SERVER], {
        cwd: '/', // the server must not depend on the current folder
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    return { child, exited, output: () => output };
}

function connects(port) {
    return new Promise((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
            socket.destroy();
            resolve(true);
        });
        socket.on('error', () => resolve(false));
    });
}

test('listens on CHAINCODE_SERVER_ADDRESS, stops on SIGTERM', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = run({ CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: 'ledger-notes_1.0:abc' });
    let listening = false;
    for (let i = 0; i < 100 && !listening && server.child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        listening = await connects(port);
    }
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.ok(listening, `nothing listened on 127.0.0.1:${port}:\n${server.output()}`);
    assert.equal(code, 0, server.output());
});

test('says which variables are missing', async () => {
    const server = run({ CHAINCODE_SERVER_ADDRESS: '127.0.0.1:9999' });
    const { code } = await server.exited;
    assert.equal(code, 2);
    assert.match(server.output(), /set CHAINCODE_ID/);
    assert.doesNotMatch(server.output(), /CHAINCODE_SERVER_ADDRESS/);
});
