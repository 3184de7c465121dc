// `hiy` from source, for tests that need a real process (its stderr carries the pino logs).
import { main } from '../../src/main.js';

await main(process.argv.slice(2));
