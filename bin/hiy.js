#!/usr/bin/env node
// Entry point for `npx hiy`: runs the bundle that `npm run build` writes to dist/bundle/ (npm ci builds it through
// `prepare`). Source maps are not turned on here (they cost start-up time and memory); for stack traces in src/,
// run with NODE_OPTIONS=--enable-source-maps.
import { main } from '../dist/bundle/main.js';

main(process.argv.slice(2));
