'use strict';

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { after, test } = require('node:test');

const { loadIdentity, loadProfile } = require('../lib/profile');

const CLIENT = path.join(__dirname, '..', 'client.js');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const made = [];
function tmp() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-client-'));
    made.push(dir);
    return dir;
}
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function writeProfile(dir, profile) {
    const file = path.join(dir, 'connection.json');
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
}

// As a generator of profiles for the chart would write one (TLS).
function harborProfile(url = 'grpcs://peer0.harbor.example:7051') {
    return {
        name: 'hlf-kube-harbor',
        version: '1.0.0',
        client: { organization: 'Harbor' },
        organizations: {
            Harbor: {
                mspid: 'HarborMSP',
                peers: ['peer0.harbor.example', 'peer1.harbor.example'],
                certificateAuthorities: ['ca.harbor.example'],
            },
            Quarry: { mspid: 'QuarryMSP', peers: ['peer0.quarry.example'] },
        },
        peers: {
            'peer0.harbor.example': {
                url,
                tlsCACerts: { pem: PEM },
                grpcOptions: { 'ssl-target-name-override': 'peer0.harbor.example', 'grpc.keepalive_time_ms': 60000 },
            },
            'peer1.harbor.example': { url: 'grpcs://peer1.harbor.example:7051', tlsCACerts: { pem: PEM } },
            'peer0.quarry.example': { url: 'grpc://hlf-peer--quarry--peer0:7051' },
        },
        orderers: {
            'orderer0.groeifabriek.example': { url: 'grpcs://orderer0.groeifabriek.example:7050', tlsCACerts: { pem: PEM } },
        },
        certificateAuthorities: {
            'ca.harbor.example': { url: 'https://hlf-ca--harbor:7054', tlsCACerts: { pem: [PEM] } },
        },
    };
}

function writeIdentity(dir, { keyName = 'priv_sk' } = {}) {
    const user = path.join(dir, 'users', 'User1@harbor.example');
    fs.mkdirSync(path.join(user, 'msp', 'signcerts'), { recursive: true });
    fs.mkdirSync(path.join(user, 'msp', 'keystore'), { recursive: true });
    fs.writeFileSync(path.join(user, 'msp', 'signcerts', 'User1@harbor.example-cert.pem'), PEM);
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(user, 'msp', 'keystore', keyName), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return user;
}

test('the client org\'s first peer, with TLS from tlsCACerts.pem and the name override', () => {
    const dir = tmp();
    const got = loadProfile(writeProfile(dir, harborProfile()));
    assert.equal(got.org, 'Harbor');
    assert.equal(got.mspId, 'HarborMSP');
    assert.deepEqual(got.peer, {
        name: 'peer0.harbor.example',
        url: 'grpcs://peer0.harbor.example:7051',
        address: 'peer0.harbor.example:7051',
        tls: true,
        tlsRootCert: PEM,
        grpcOptions: {
            'grpc.ssl_target_name_override': 'peer0.harbor.example',
            'grpc.default_authority': 'peer0.harbor.example',
            'grpc.keepalive_time_ms': 60000,
        },
    });
});

test('grpc:// needs no certificate; --org picks another org', () => {
    const dir = tmp();
    const got = loadProfile(writeProfile(dir, harborProfile()), 'Quarry');
    assert.equal(got.mspId, 'QuarryMSP');
    assert.equal(got.peer.address, 'hlf-peer--quarry--peer0:7051');
    assert.equal(got.peer.tls, false);
    assert.equal(got.peer.tlsRootCert, undefined);
});

test('tlsCACerts.path is read relative to the profile', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'ca.pem'), PEM);
    const profile = harborProfile();
    profile.peers['peer0.harbor.example'].tlsCACerts = { path: 'ca.pem' };
    assert.equal(loadProfile(writeProfile(dir, profile)).peer.tlsRootCert, PEM);
});

test('profile errors name what is missing', () => {
    const dir = tmp();
    const cases = [
        [(p) => delete p.client, /no client.organization/],
        [(p) => (p.client.organization = 'Meadow'), /no organizations.Meadow \(organizations: Harbor, Quarry\)/],
        [(p) => delete p.organizations.Harbor.mspid, /organizations.Harbor.mspid missing/],
        [(p) => (p.organizations.Harbor.peers = []), /organizations.Harbor.peers is empty/],
        [(p) => delete p.peers['peer0.harbor.example'], /peers.peer0.harbor.example missing/],
        [(p) => (p.peers['peer0.harbor.example'].url = 'peer0:7051'), /want grpc:\/\/host:port or grpcs:\/\/host:port/],
        [(p) => delete p.peers['peer0.harbor.example'].tlsCACerts, /grpcs:\/\/ needs tlsCACerts.pem/],
    ];
    for (const [edit, message] of cases) {
        const profile = harborProfile();
        edit(profile);
        assert.throws(() => loadProfile(writeProfile(dir, profile)), message);
    }
    fs.writeFileSync(path.join(dir, 'broken.json'), '{');
    assert.throws(() => loadProfile(path.join(dir, 'broken.json')), /not JSON/);
});

test('identity from cryptogen\'s user folder or its msp folder; fabric-ca-client key names too', () => {
    const dir = tmp();
    const user = writeIdentity(dir);
    for (const folder of [user, path.join(user, 'msp')]) {
        const id = loadIdentity(folder);
        assert.equal(id.certificate.toString(), PEM);
        assert.match(id.privateKeyPem.toString(), /BEGIN PRIVATE KEY/);
    }
    const other = writeIdentity(tmp(), { keyName: 'a1b2c3_sk' });
    assert.equal(path.basename(loadIdentity(other).keyFile), 'a1b2c3_sk');
    assert.throws(() => loadIdentity(path.join(dir, 'nowhere')), /identity .*nowhere/);
});

test('client.js: usage errors exit 2, an unreachable peer exits 1', async () => {
    const usage = spawnSync(process.execPath, [CLIENT, 'trade'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--profile and --identity are required/);

    // a port that nothing listens on
    const port = await new Promise((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
            const p = s.address().port;
            s.close(() => resolve(p));
        });
    });
    const dir = tmp();
    const profile = writeProfile(dir, harborProfile(`grpc://127.0.0.1:${port}`));
    const run = spawnSync(
        process.execPath,
        [CLIENT, '--profile', profile, '--identity', writeIdentity(dir), 'trade', 'ledger-notes', 'k', 'v'],
        { encoding: 'utf8', timeout: 60000 },
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /Harbor \(HarborMSP\) at peer0.harbor.example grpc:\/\/127.0.0.1:/);
    assert.match(run.stderr, /client.js: .*(UNAVAILABLE|ECONNREFUSED|No connection established)/);
});
