// `tsx test/support/hold-default-ports.ts CMD ARG...`: runs CMD (the integration tests) while HIY's default
// addresses are held (./defaultPorts.ts), so a test that binds one fails and one that connects to one fails the run.
import { spawn } from 'node:child_process';
import { holdDefaultPorts } from './defaultPorts.js';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: tsx test/support/hold-default-ports.ts CMD [ARG...]\n');
  process.exit(2);
}
const ports = await holdDefaultPorts();
process.stderr.write(
  `hold-default-ports: holding ${ports.held.map((a) => a.addr).join(', ') || 'nothing (all in use already)'} for the run\n`,
);
// stdio inherited: the test runner's own output (and its summary) is what CI reads.
const child = spawn(cmd, args, { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal; a SIGTERM sent to this process alone is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
const code = await new Promise<number>((resolve) => {
  child.once('error', (err) => {
    process.stderr.write(`hold-default-ports: cannot run ${cmd}: ${err.message}\n`);
    resolve(127);
  });
  child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
});
await ports.release();
const report = ports.report();
if (report)
  process.stderr.write(`hold-default-ports: ${report.split('\n').join('\nhold-default-ports: ')}\n`);
process.exit(code === 0 && report ? 1 : code);
