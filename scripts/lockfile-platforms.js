#!/usr/bin/env node
/**
 * The package mirror this project installs from serves only the Linux builds of some native
 * packages (e.g. @swc/core's macOS and Windows binaries answer 404), so `npm install` writes a
 * lockfile without them and `npm ci` then rejects it as out of sync. This restores the entries a
 * full registry would have written: optional, platform-bound, never installed on Linux.
 *
 *   node scripts/lockfile-platforms.js   (after any `npm install` that changes the lockfile)
 */
const fs = require('node:fs');
const path = require('node:path');

const LOCK = path.join(__dirname, '..', 'package-lock.json');
const PLATFORM = /-(darwin|linux|win32|freebsd|android|sunos|openbsd)-(arm64|x64|ia32|arm|ppc64|s390x|riscv64|loong64)(?:-(gnu|musl|msvc|gnueabihf))?$/;

const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target] || lock.packages[`${key}/node_modules/${name}`]) continue;
    const m = PLATFORM.exec(name);
    if (!m || !/^\d+\.\d+\.\d+/.test(range)) continue;
    const [, os, cpu, abi] = m;
    lock.packages[target] = {
      version: range,
      cpu: [cpu === 'arm' ? 'arm' : cpu],
      license: entry.license,
      optional: true,
      os: [os],
      ...(os === 'linux' && abi !== 'musl' ? { libc: ['glibc'] } : {}),
      engines: entry.engines,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: ${added} platform-only optional entr${added === 1 ? 'y' : 'ies'} restored`);
