#!/usr/bin/env node
// Fails when package-lock.json lacks an optional dependency that some locked
// package declares — typically another platform's native build
// (@swc/core-darwin-arm64, …). A lockfile written on a machine whose registry
// mirror hides those packages installs here but makes `npm ci` refuse it
// elsewhere (in the Dockerfile, on a laptop of another platform).
// Repair: npm install --package-lock-only
'use strict';
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages || {};

// Resolve `name` from the package at `from` the way Node does: its own
// node_modules first, then each enclosing node_modules up to the root.
function resolves(from, name) {
  let base = from;
  for (;;) {
    if (packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

const missing = [];
for (const [where, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies || {})) {
    if (!resolves(where, name)) missing.push(`${where || '(root)'} -> ${name}`);
  }
}
if (missing.length > 0) {
  console.error(`package-lock.json lacks ${missing.length} optional package(s) (run: npm install --package-lock-only):`);
  for (const m of missing.slice(0, 20)) console.error(`  ${m}`);
  process.exit(1);
}
console.log('package-lock.json lists every optional (other-platform) package');
