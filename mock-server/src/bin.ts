#!/usr/bin/env node
// The package's `dreamcore-simulator` command: the same CLI as `npm start` (main.ts).
import './main.js';
