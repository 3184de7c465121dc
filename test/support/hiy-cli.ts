// `hiy` as a real process for tests (the SIGTERM test): node --import tsx test/support/hiy-cli.ts ARGS.
import { main } from '../../src/main.js';

await main(process.argv.slice(2));
