// The credential lists (sign-in links, sessions) changed by two processes at once: no update is ever lost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LoginLinkStore } from '../../../src/store/loginLinks.js';
import { SessionStore } from '../../../src/store/sessions.js';

const RACER = join(import.meta.dirname, 'fixtures', 'listRacer.ts');
const N = 40;

describe('credential lists across processes', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-jsonfile-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Runs two racers at once on `dataDir`; resolves to the second one's output lines. */
  const race = async (dataDir: string, a: [string, string[]], b: [string, string[]]): Promise<string[]> => {
    const run = async ([mode, lines]: [string, string[]], i: number) => {
      const inFile = join(dataDir, `in-${i}`);
      const outFile = join(dataDir, `out-${i}`);
      await writeFile(inFile, lines.join('\n'));
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', RACER, dataDir, mode, inFile, outFile], {
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.once('error', reject);
        child.once('exit', resolve);
      });
      assert.equal(code, 0, `${mode} failed`);
      return (await readFile(outFile, 'utf8')).split('\n').filter(Boolean);
    };
    const [, out] = await Promise.all([run(a, 0), run(b, 1)]);
    return out;
  };

  it('links used by one process never come back through the other’s writes; no new link is lost', async () => {
    const dataDir = await mkdtemp(join(root, 'links-'));
    const store = new LoginLinkStore(dataDir);
    const used: string[] = [];
    for (let i = 0; i < N; i++) used.push((await store.create('alice')).token);
    const created = await race(dataDir, ['consume-links', used], ['create-links', Array(N).fill('bob')]);
    assert.equal(created.length, N);
    for (const t of used) assert.equal(await store.peek(t), undefined, 'a used link came back');
    for (const t of created) assert.equal(await store.peek(t), 'bob', 'a new link was lost');
  });

  it('sessions revoked by one process stay revoked while the other opens sessions; none is lost', async () => {
    const dataDir = await mkdtemp(join(root, 'sessions-'));
    const store = new SessionStore(dataDir);
    const revoked: string[] = [];
    for (let i = 0; i < N; i++) revoked.push((await store.create('alice', { method: 'link' })).token);
    const ids = revoked.map((t) => t.split('_')[1]!);
    const created = await race(dataDir, ['revoke-sessions', ids], ['create-sessions', Array(N).fill('bob')]);
    for (const t of revoked) assert.equal(await store.verify(t), undefined, 'a revoked session came back');
    for (const t of created) assert.equal((await store.verify(t))?.user, 'bob', 'a new session was lost');
  });
});
