#!/usr/bin/env node
// Entry point for `npx hiy`: runs the compiled CLI (npm ci builds it through `prepare`).
import { main } from '../dist/main.js';

main(process.argv.slice(2));
