#!/usr/bin/env node
'use strict';

// Starts the contract through fabric-shim's own command line
// (fabric-chaincode-node):
//
// - without arguments, as chaincode-as-a-service, from the environment the
//   chart's Deployment sets:
//     CHAINCODE_SERVER_ADDRESS  host:port to listen on, e.g. 0.0.0.0:9999
//     CHAINCODE_ID              the installed package id, label:sha256
//   that is `fabric-chaincode-node server --chaincode-address=...
//   --chaincode-id=...`, plain gRPC (the package's connection.json says
//   tls_required false);
// - with arguments, as `fabric-chaincode-node start ARGS` (a peer's Node
//   builder runs `npm start -- --peer.address ... --chaincode-id-name ...`
//   for a `type: source` chaincode).

const path = require('node:path');

const args = process.argv.slice(2);
let command;
if (args.length === 0) {
    const address = process.env.CHAINCODE_SERVER_ADDRESS;
    const id = process.env.CHAINCODE_ID;
    const missing = [];
    if (!address) {
        missing.push('CHAINCODE_SERVER_ADDRESS (host:port to listen on, e.g. 0.0.0.0:9999)');
    }
    if (!id) {
        missing.push('CHAINCODE_ID (the package id the peer installed, label:sha256-hex)');
    }
    if (missing.length > 0) {
        console.error(`ledger-notes: set ${missing.join(' and ')}`);
        process.exit(2);
    }
    command = ['server', `--chaincode-address=${address}`, `--chaincode-id=${id}`];
} else {
    command = ['start', ...args];
}

// fabric-shim reads package.json's "main" from --module-path (default: the
// current folder); this one works from any folder.
process.argv = [process.argv[0], 'fabric-chaincode-node', ...command, `--module-path=${__dirname}`];

// As PID 1 in a container node has no default handler for these: without
// one, a pod waits its whole grace period before it is killed.
for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => process.exit(0));
}

// yargs (inside fabric-shim's CLI) takes process.argv when first loaded.
require(path.join(path.dirname(require.resolve('fabric-shim/package.json')), 'cli.js'));
