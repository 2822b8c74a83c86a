'use strict';

// fabric-shim's bootstrap loads package.json's "main" and registers the
// contracts listed here; the first one answers function names without a
// "contract:" prefix, so the flows' {"function":"ping"} reaches it.
const LedgerNotes = require('./lib/ledger-notes');

module.exports.LedgerNotes = LedgerNotes;
module.exports.contracts = [LedgerNotes];
