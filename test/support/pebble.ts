// Starts Let's Encrypt's test ACME server (Debian's `pebble`) and its mock DNS on free loopback ports for tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort, waitFor } from './ports.js';

export interface RunningPebble {
  /** The ACME directory, e.g. `https://127.0.0.1:41234/dir`. */
  directory: string;
  /** PEM file of the CA that signed Pebble's own HTTPS certificate (HIY_ACME_CA_ROOT). */
  listenerCaFile: string;
  /** Pebble's issuing root (PEM), which clients trust to verify certificates Pebble issued. */
  issuingRoot(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Pebble validating HTTP-01 on `httpPort` of 127.0.0.1 (every name resolves there through pebble-challtestsrv's
 * mock DNS): real validation against the Caddy server on that port, never PEBBLE_VA_ALWAYS_VALID.
 */
export async function startPebble(opts: {
  httpPort: number;
  /** Lifetime of the certificates it issues, in seconds (Pebble 2.4's certificateValidityPeriod; default 5 years). */
  validitySeconds?: number;
  /** Names it refuses to issue for (domainBlocklist): the order fails with `rejectedIdentifier`. */
  blocklist?: string[];
}): Promise<RunningPebble> {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-pebble-'));
  const [acmePort, mgmtPort, dnsPort, ctsMgmtPort, tlsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const ca = join(dir, 'ca.pem');
  const run = (args: string[]) => execa('openssl', args, { cwd: dir });
  await run(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=hiy-test pebble listener CA',
      '-days',
      '2',
    ]),
  );
  await run(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
      '-subj',
      '/CN=localhost',
    ]),
  );
  await writeFile(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run(
    ['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'srv.pem',
      '-days',
      '2',
      '-extfile',
      'ext',
    ]),
  );
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: join(dir, 'srv.pem'),
        privateKey: join(dir, 'srv.key'),
        httpPort: opts.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
        ...(opts.blocklist ? { domainBlocklist: opts.blocklist } : {}),
      },
    }),
  );
  let out = '';
  const append = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
  };
  const children: ChildProcess[] = [
    spawn(
      'pebble-challtestsrv',
      ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', ''].concat([
        '-management',
        `127.0.0.1:${ctsMgmtPort}`,
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ]),
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
    spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ];
  for (const c of children) {
    c.stdout?.on('data', append);
    c.stderr?.on('data', append);
  }
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  try {
    // Pebble generates its keys before it listens: seconds on a busy box.
    await waitFor(
      async () => {
        for (const c of children) if (c.exitCode !== null) throw new Error(`exited: ${out}`);
        const r = await execa('curl', ['-sf', '--max-time', '5', '--cacert', ca, directory], {
          reject: false,
        });
        return r.exitCode === 0;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `pebble at ${directory}` },
    );
  } catch (err) {
    await stop();
    throw new Error(`pebble did not start: ${out}`, { cause: err });
  }
  return {
    directory,
    listenerCaFile: ca,
    issuingRoot: async () => {
      const r = await execa('curl', ['-sf', '--cacert', ca, `https://127.0.0.1:${mgmtPort}/roots/0`]);
      return String(r.stdout);
    },
    output: () => out,
    stop,
  };
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const late = new Promise<'late'>((r) => setTimeout(() => r('late'), 5000).unref());
  if ((await Promise.race([exited, late])) === 'late') {
    c.kill('SIGKILL');
    await exited;
  }
}
