/**
 * Refuses a Node.js outside package.json's "engines", saying which versions work and how to get
 * one. npm runs it before this project's own work: `preprepare` (npm ci, npm install), `pretest`
 * (npm test) and `prebuild` (npm run build, so npm start, whose prestart builds, and npm pack).
 * `preprepare`, not `prepare` nor `preinstall`: npm runs it for this project only, never for an
 * installed copy of the package, and npm 11's allowScripts notice, which lists a dependency's
 * preinstall, install, postinstall and (from a tarball or git) prepare, does not name it.
 *
 * It must run on the very Nodes it refuses, whatever their age, before any dependency is there:
 * CommonJS, no dependency, nothing newer than ES2015. npm's own refusal (devEngines with
 * onFail "error") came first and said only 'Invalid semver version "..." does not match "v20..."',
 * which reads as a broken package and names no way out: devEngines only warns now, and this says.
 *
 * The range is read from "engines" (not copied). Only the forms "engines" uses are understood
 * (`||`, `^`, `>=`, `>`, `<=`, `<`, `=`, a bare version); anything else is refused by name, and
 * test/process/check-node.test.ts holds this reading to the `semver` package's.
 */
/* global require, module, __dirname, process -- CommonJS on Node.js, for the oldest Node */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';

const fs = require('fs');
const path = require('path');

const COMPARATOR = /^(\^|>=|<=|>|<|=)?v?(\d+)\.(\d+)\.(\d+)$/;

function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text).trim());
  if (!m) throw new Error('not a Node.js version: ' + text);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** The alternatives of a range, each a list of {op, version}; throws on a form it does not know. */
function parseRange(range) {
  return String(range)
    .split('||')
    .map((alternative) => {
      const comparators = alternative.trim().split(/\s+/).filter(Boolean);
      if (comparators.length === 0) throw new Error('an empty alternative in "' + range + '"');
      return comparators.map((text) => {
        const m = COMPARATOR.exec(text);
        if (!m) throw new Error('"' + text + '" in "' + range + '" is not a form check-node.cjs reads');
        return { op: m[1] || '=', version: [Number(m[2]), Number(m[3]), Number(m[4])] };
      });
    });
}

function meets(version, comparator) {
  const c = compare(version, comparator.version);
  const floor = comparator.version;
  switch (comparator.op) {
    case '^': // same leftmost non-zero part, at least this version
      if (c < 0) return false;
      if (floor[0] > 0) return version[0] === floor[0];
      if (floor[1] > 0) return version[0] === 0 && version[1] === floor[1];
      return version[0] === 0 && version[1] === 0 && version[2] === floor[2];
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '<':
      return c < 0;
    default:
      return c === 0;
  }
}

function satisfies(version, range) {
  const v = parseVersion(version);
  return parseRange(range).some((alternative) => alternative.every((comparator) => meets(v, comparator)));
}

/** The major of the newest line the range supports: the highest lower bound of its alternatives. */
function newestMajor(range) {
  let newest = 0;
  parseRange(range).forEach((alternative) => {
    alternative.forEach((comparator) => {
      if (/^(\^|>=|>|=)$/.test(comparator.op)) newest = Math.max(newest, comparator.version[0]);
    });
  });
  return newest;
}

/** What to print for this Node and range: undefined when the Node is supported. */
function refusal(version, range) {
  if (satisfies(version, range)) return undefined;
  const major = newestMajor(range);
  return [
    'dreamcore-simulator needs Node.js ' +
      range +
      ' (package.json "engines"); this is Node.js ' +
      version +
      '.',
    'Get Node.js ' + major + ' for this project alone (fetched once from the npm registry, on Linux x86-64)',
    'and run npm on it:',
    '',
    '  scripts/ci/with-node.sh ' + major + ' npm ci',
    '',
    'then the same prefix for the rest: scripts/ci/with-node.sh ' + major + ' npm test, ... npm start.',
    'Or with nvm: nvm install ' + major + ' && nvm use ' + major + ', then npm ci.',
  ].join('\n');
}

module.exports = { satisfies, newestMajor, refusal };

if (require.main === module) {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  const message = refusal(process.versions.node, pkg.engines.node);
  if (message) {
    process.stderr.write('\n' + message + '\n\n');
    process.exit(1);
  }
}
