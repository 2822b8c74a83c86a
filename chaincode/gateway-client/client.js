#!/usr/bin/env node
'use strict';

// Submits put(key, value) to a chaincode through the Fabric Gateway of the
// org's first peer, waits for the commit, evaluates get(key), and fails
// unless it reads the value back.

const crypto = require('node:crypto');
const { parseArgs } = require('node:util');

const grpc = require('@grpc/grpc-js');
const { connect, signers } = require('@hyperledger/fabric-gateway');

const { InputError, loadIdentity, loadProfile } = require('./lib/profile');

const USAGE = `usage: node client.js --profile PROFILE.json --identity USER_DIR [--org ORG] CHANNEL CHAINCODE [KEY [VALUE]]

  --profile   common connection profile (JSON); the org is its client.organization
  --identity  the user's folder in cryptogen's layout (USER_DIR/msp/signcerts/*.pem,
              USER_DIR/msp/keystore/*_sk), e.g.
              crypto-config/peerOrganizations/harbor.example/users/User1@harbor.example
  --org       use this org of the profile instead of client.organization
  KEY, VALUE  default: a fresh key and value`;

function usage(message) {
    if (message) {
        console.error(`client.js: ${message}`);
    }
    console.error(USAGE);
    process.exit(2);
}

function describe(err) {
    // Gateway errors carry the peers' own messages in details.
    const lines = [err.message];
    for (const d of err.details || []) {
        lines.push(`  ${d.address || '?'} (${d.mspId || '?'}): ${d.message}`);
    }
    if (err.cause && err.cause.message && !err.message.includes(err.cause.message)) {
        lines.push(`  cause: ${err.cause.message}`);
    }
    return lines.join('\n');
}

async function main() {
    let parsed;
    try {
        parsed = parseArgs({
            options: {
                profile: { type: 'string' },
                identity: { type: 'string' },
                org: { type: 'string' },
                help: { type: 'boolean', short: 'h' },
            },
            allowPositionals: true,
        });
    } catch (err) {
        usage(err.message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        usage();
    }
    if (!values.profile || !values.identity) {
        usage('--profile and --identity are required');
    }
    if (positionals.length < 2 || positionals.length > 4) {
        usage('give CHANNEL CHAINCODE [KEY [VALUE]]');
    }
    const [channel, chaincode] = positionals;
    const stamp = `${new Date().toISOString()} ${crypto.randomBytes(4).toString('hex')}`;
    const key = positionals[2] || `gateway-client-${stamp.replace(/[^0-9a-z]/gi, '')}`;
    const value = positionals[3] || `written by the gateway client at ${stamp}`;

    const { org, mspId, peer } = loadProfile(values.profile, values.org);
    const identity = loadIdentity(values.identity);

    const credentials = peer.tls
        ? grpc.credentials.createSsl(Buffer.from(peer.tlsRootCert))
        : grpc.credentials.createInsecure();
    const client = new grpc.Client(peer.address, credentials, peer.grpcOptions);
    const gateway = connect({
        client,
        identity: { mspId, credentials: identity.certificate },
        signer: signers.newPrivateKeySigner(crypto.createPrivateKey(identity.privateKeyPem)),
        evaluateOptions: () => ({ deadline: Date.now() + 15000 }),
        endorseOptions: () => ({ deadline: Date.now() + 30000 }),
        submitOptions: () => ({ deadline: Date.now() + 15000 }),
        commitStatusOptions: () => ({ deadline: Date.now() + 60000 }),
    });
    console.log(`${org} (${mspId}) at ${peer.name} ${peer.url}${peer.tls ? ' (TLS)' : ''}, channel ${channel}, chaincode ${chaincode}`);
    try {
        const contract = gateway.getNetwork(channel).getContract(chaincode);

        const submitted = await contract.submitAsync('put', { arguments: [key, value] });
        const status = await submitted.getStatus();
        if (!status.successful) {
            throw new Error(`put ${key}: transaction ${status.transactionId} committed as invalid (code ${status.code})`);
        }
        console.log(`put ${JSON.stringify(key)} = ${JSON.stringify(value)}: committed in block ${status.blockNumber}, tx ${status.transactionId}`);

        const got = Buffer.from(await contract.evaluateTransaction('get', key)).toString('utf8');
        console.log(`get ${JSON.stringify(key)} -> ${JSON.stringify(got)}`);
        if (got !== value) {
            console.error('MISMATCH: get did not return what put wrote');
            return 1;
        }
        console.log('OK');
        return 0;
    } finally {
        gateway.close();
        client.close();
    }
}

main().then(
    (code) => {
        process.exitCode = code;
    },
    (err) => {
        console.error(`client.js: ${err instanceof InputError ? err.message : describe(err)}`);
        process.exitCode = 1;
    },
);
