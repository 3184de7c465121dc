// Runs the HIY CLI as a real process from the TypeScript sources (for tests that kill -9 it).
import { main } from '../../src/main.js';

await main(process.argv.slice(2));
