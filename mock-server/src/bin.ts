#!/usr/bin/env node
// The package's `dreamcore-simulator` command, the same CLI as `npm start` (main.ts): `serve` (the
// default) starts the simulator, `cassette ...` and the other commands of cli/subcommands.ts do
// their work; --help lists both, --version prints the package's version.
import './main.js';
