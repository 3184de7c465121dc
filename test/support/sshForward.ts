// Real `ssh -L` through a port's sshd: what a client receives through the forwarded port (nothing when refused).
import { connect } from 'node:net';
import { execa } from 'execa';
import { freePort, waitFor } from './ports.js';

export interface ForwardResult {
  /** What arrived through the local end of the forwarding before it closed (or the deadline passed). */
  received: string;
  /** ssh's own output (its stderr names a refused channel: "administratively prohibited"). */
  log: string;
}

/** Connects to the local port once it listens, reads until `until` arrives, the peer closes or the deadline. */
async function readThrough(port: number, until: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (until.test(data)) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

/**
 * Runs `ssh -N -L 127.0.0.1:FREE:TARGET …sshArgs`, waits until ssh listens (it does after authenticating), then
 * reads what TARGET sends through it (an sshd's "SSH-2.0-" banner, say). A refused forwarding gives "".
 */
export async function throughLocalForward(
  sshArgs: string[],
  target: string,
  opts: { expect?: RegExp; timeoutMs?: number } = {},
): Promise<ForwardResult> {
  const local = await freePort();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const ssh = execa(
    'ssh',
    ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${local}:${target}`, ...sshArgs],
    { reject: false, all: true },
  );
  try {
    await waitFor(
      async () => {
        if (ssh.exitCode !== null) throw new Error(`ssh exited: ${(await ssh).all}`);
        return new Promise<boolean>((resolve) => {
          const probe = connect(local, '127.0.0.1');
          // A probe that connects is a forwarded connection too: close it at once, before anything is read.
          probe.on('connect', () => {
            probe.destroy();
            resolve(true);
          });
          probe.on('error', () => resolve(false));
        });
      },
      { timeoutMs, intervalMs: 200, what: `ssh -L listening on 127.0.0.1:${local}` },
    );
    const received = await readThrough(local, opts.expect ?? /SSH-2\.0-/, timeoutMs / 2);
    ssh.kill('SIGTERM');
    const r = await ssh;
    return { received, log: r.all ?? '' };
  } finally {
    if (ssh.exitCode === null) ssh.kill('SIGKILL');
    await ssh.catch(() => undefined);
  }
}
