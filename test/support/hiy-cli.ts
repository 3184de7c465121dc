// `hiy` as a real process for tests: node --import tsx test/support/hiy-cli.ts ARGS (kill -9 and SIGTERM tests,
// logs from a real process, sshd's forced command and git hooks through testSelfCommand in ./sshd.ts).
import { main } from '../../src/main.js';

await main(process.argv.slice(2));
