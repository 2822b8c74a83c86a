'use strict';

// What the client reads: a common connection profile (JSON) and a user
// identity folder in cryptogen's MSP layout.

const fs = require('node:fs');
const path = require('node:path');

class InputError extends Error {}

function readJson(file) {
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch (err) {
        throw new InputError(`connection profile ${file}: ${err.message}`);
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new InputError(`connection profile ${file}: not JSON: ${err.message}`);
    }
}

function pemOf(entry, where, baseDir) {
    if (!entry) {
        return undefined;
    }
    if (typeof entry.pem === 'string' && entry.pem.includes('-----BEGIN')) {
        return entry.pem;
    }
    if (typeof entry.path === 'string') {
        const file = path.resolve(baseDir, entry.path);
        try {
            return fs.readFileSync(file, 'utf8');
        } catch (err) {
            throw new InputError(`${where}.path: ${err.message}`);
        }
    }
    throw new InputError(`${where}: needs "pem" (PEM text) or "path"`);
}

/**
 * The organization's first peer from a common connection profile:
 *   client.organization                      the org (unless `org` is given)
 *   organizations.<org>.mspid                its MSP ID
 *   organizations.<org>.peers[0]             the peer to use
 *   peers.<name>.url                         grpc://host:port or grpcs://host:port
 *   peers.<name>.tlsCACerts.pem (or .path)   TLS root certificate (grpcs only)
 *   peers.<name>.grpcOptions                 ssl-target-name-override, hostnameOverride,
 *                                            and any "grpc.*" channel option
 */
function loadProfile(file, org) {
    const profile = readJson(file);
    const baseDir = path.dirname(path.resolve(file));
    const orgName = org || (profile.client && profile.client.organization);
    if (!orgName) {
        throw new InputError(`${file}: no client.organization (or give --org)`);
    }
    const organization = profile.organizations && profile.organizations[orgName];
    if (!organization) {
        const known = Object.keys(profile.organizations || {}).join(', ') || 'none';
        throw new InputError(`${file}: no organizations.${orgName} (organizations: ${known})`);
    }
    if (typeof organization.mspid !== 'string' || organization.mspid === '') {
        throw new InputError(`${file}: organizations.${orgName}.mspid missing`);
    }
    const peerName = Array.isArray(organization.peers) ? organization.peers[0] : undefined;
    if (!peerName) {
        throw new InputError(`${file}: organizations.${orgName}.peers is empty`);
    }
    const peer = profile.peers && profile.peers[peerName];
    if (!peer) {
        throw new InputError(`${file}: peers.${peerName} missing (named in organizations.${orgName}.peers)`);
    }
    const where = `${file}: peers.${peerName}`;
    const match = /^(grpcs?):\/\/([^/]+)\/?$/.exec(peer.url || '');
    if (!match) {
        throw new InputError(`${where}.url: want grpc://host:port or grpcs://host:port, got ${JSON.stringify(peer.url)}`);
    }
    const tls = match[1] === 'grpcs';
    const grpcOptions = {};
    for (const [key, value] of Object.entries(peer.grpcOptions || {})) {
        if (key === 'ssl-target-name-override' || key === 'hostnameOverride') {
            if (tls && value) {
                grpcOptions['grpc.ssl_target_name_override'] = value;
                grpcOptions['grpc.default_authority'] = value;
            }
        } else if (key.startsWith('grpc.')) {
            grpcOptions[key] = value;
        }
    }
    let tlsRootCert;
    if (tls) {
        tlsRootCert = pemOf(peer.tlsCACerts, `${where}.tlsCACerts`, baseDir);
        if (!tlsRootCert) {
            throw new InputError(`${where}: grpcs:// needs tlsCACerts.pem`);
        }
    }
    return {
        org: orgName,
        mspId: organization.mspid,
        peer: { name: peerName, url: peer.url, address: match[2], tls, tlsRootCert, grpcOptions },
    };
}

function onlyFile(dir, test, what) {
    let names;
    try {
        names = fs.readdirSync(dir).filter(test).sort();
    } catch (err) {
        throw new InputError(`${what}: ${err.message}`);
    }
    if (names.length === 0) {
        throw new InputError(`${what}: no file in ${dir}`);
    }
    return path.join(dir, names[0]);
}

/**
 * A user's certificate and private key from cryptogen's layout: DIR/msp or
 * DIR itself holding signcerts/*.pem and keystore/*_sk (cryptogen writes
 * priv_sk; fabric-ca-client writes <hash>_sk).
 */
function loadIdentity(dir) {
    const mspDir = fs.existsSync(path.join(dir, 'msp', 'signcerts')) ? path.join(dir, 'msp') : dir;
    const certFile = onlyFile(path.join(mspDir, 'signcerts'), (n) => n.endsWith('.pem'), `identity ${dir}`);
    const keyFile = onlyFile(path.join(mspDir, 'keystore'), (n) => n.endsWith('_sk'), `identity ${dir}`);
    return {
        certificate: fs.readFileSync(certFile),
        privateKeyPem: fs.readFileSync(keyFile),
        certFile,
        keyFile,
    };
}

module.exports = { InputError, loadIdentity, loadProfile };
