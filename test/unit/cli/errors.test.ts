// How the CLI shows errors: any HiyError as one line with no stack (human) or its code and data (--json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LockBusyError } from '../../../src/apply/lock.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { reportError } from '../../../src/cli/errors.js';
import { runCli } from '../../../src/cli/run.js';
import { HiyError } from '../../../src/model/errors.js';
import { BuildSettingsError } from '../../../src/push/buildSettings.js';

function capture() {
  const io = { out: '', err: '' };
  return {
    io,
    cli: { out: (t: string) => (io.out += t), err: (t: string) => (io.err += t), env: {} },
  };
}

describe('reportError', () => {
  it('prints a HiyError as one line, whatever its message holds, and never its stack', () => {
    const { io, cli } = capture();
    const err = new HiyError('SOMETHING', 'first line\n  second line\n', { data: { a: 1 } });
    reportError(cli, err, false);
    assert.equal(io.err, 'error: first line second line\n');
    assert.doesNotMatch(io.err, /\bat .*\.ts:\d+/);
  });

  it('--json gives the stable code, the message and the structured data', () => {
    const { io, cli } = capture();
    reportError(cli, new LockBusyError({ path: '/d/apply.lock', pid: 42, since: 't' }), true);
    assert.deepEqual(JSON.parse(io.out), {
      error: {
        code: 'LOCKED',
        message: 'another hiy apply is running (pid 42, since t); lock /d/apply.lock',
        data: { path: '/d/apply.lock', pid: 42, since: 't' },
      },
    });
  });

  it('every error class keeps its name and code and is a HiyError', () => {
    const err = new BuildSettingsError('HIY_BUILD_CPUS must be a number');
    assert.ok(err instanceof HiyError);
    assert.equal(err.name, 'BuildSettingsError');
    assert.equal(err.code, 'USAGE');
  });
});

describe('runCli', () => {
  it('treats any HiyError with code USAGE as a usage error, decided by the code', async () => {
    const { io, cli } = capture();
    const deps = {
      io: cli,
      makeEngine: () => Promise.reject(new BuildSettingsError('HIY_BUILD_CPUS must be a number')),
    } as unknown as CliDeps;
    const code = await runCli(['validate', '--state', '/nonexistent'], deps);
    assert.equal(code, 1);
    assert.equal(io.err, 'hiy: HIY_BUILD_CPUS must be a number\nRun hiy --help for usage.\n');
  });
});
