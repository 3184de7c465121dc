#!/usr/bin/env node
// Entry point for `npx hiy`: runs the bundled CLI (npm run build; npm ci builds it through `prepare`).
import { main } from '../dist/bundle/main.js';

main(process.argv.slice(2));
