// Argv of the everyday operations: logs, exec through the secret shim, one-off runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  execAttachedArgv,
  logsArgv,
  oneOffRunArgv,
  SECRET_SHIM_SCRIPT,
  SHIM_BINARY,
} from '../../../../src/drivers/podman/argv.js';
import type { RunSpec } from '../../../../src/drivers/podman/types.js';

test('logsArgv passes follow, since, tail and timestamps', () => {
  assert.deepEqual(logsArgv('hiy-blog', {}), ['logs', 'hiy-blog']);
  assert.deepEqual(logsArgv('hiy-blog', { follow: true, since: '10m', tail: 100, timestamps: true }), [
    'logs',
    '--follow',
    '--since',
    '10m',
    '--tail',
    '100',
    '--timestamps',
    'hiy-blog',
  ]);
});

test('execAttachedArgv runs through the secret shim when asked, with -i and -t', () => {
  assert.deepEqual(execAttachedArgv('hiy-blog', ['ls', '-l'], {}), ['exec', 'hiy-blog', 'ls', '-l']);
  assert.deepEqual(execAttachedArgv('hiy-blog', ['sh'], { interactive: true, tty: true, secretShim: true }), [
    'exec',
    '-i',
    '-t',
    'hiy-blog',
    SHIM_BINARY,
    'sh',
    '-c',
    SECRET_SHIM_SCRIPT,
    'hiy-secrets',
    'sh',
  ]);
});

test('oneOffRunArgv: --rm, attached, no ports, no restart policy, the command behind the shim', () => {
  const spec: RunSpec = {
    name: 'hiy-blog-run-1',
    image: 'localhost/blog:1',
    labels: { 'hiy.one-off': 'run' },
    env: { A: 'b' },
    secretEnv: [{ env: 'TOKEN', secret: 'hiy-blog.TOKEN.0123' }],
    entrypoint: ['rake', 'db:migrate'],
    volumes: [{ source: 'hiy-blog-data', target: '/data', readOnly: false }],
    publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    restart: 'always',
    stopTimeoutSeconds: 10,
  };
  const argv = oneOffRunArgv(spec, { interactive: true });
  assert.deepEqual(argv.slice(0, 4), ['run', '--rm', '-i', '--pull=never']);
  assert.ok(!argv.includes('-d') && !argv.includes('-p'));
  assert.deepEqual(argv.slice(argv.indexOf('--restart'), argv.indexOf('--restart') + 2), ['--restart', 'no']);
  assert.ok(argv.includes('hiy-blog-data:/data'));
  assert.deepEqual(argv.slice(-3), ['localhost/blog:1', 'rake', 'db:migrate']);
});
