// Caddy's access log read incrementally (partial lines, rolls, truncation, limits) and counted per route.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type AccessLogCursor,
  parseAccessLine,
  readAccessLog,
} from '../../../../src/drivers/caddy/accessLog.js';
import { countByRoute, NO_ROUTE, routeOfRequest } from '../../../../src/drivers/caddy/routeTraffic.js';
import type { ResourceId } from '../../../../src/model/names.js';

/** A line as Caddy 2.6.2 writes it through HIY's filter encoder (headers, addresses and the query removed). */
function line(host: string, uri: string, status: number, duration = 0.002): string {
  return `${JSON.stringify({
    level: status >= 400 ? 'error' : 'info',
    ts: 1765150000.123,
    logger: 'http.log.access.hiy',
    msg: 'handled request',
    request: { proto: 'HTTP/1.1', method: 'GET', host, uri },
    duration,
    size: 12,
    status,
  })}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'hiy-access-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `case${++n}`, 'access.log');
function write(file: string, text: string) {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

describe('access log lines', () => {
  it('reads host (lower case, no port), path (no query), status and duration', () => {
    assert.deepEqual(parseAccessLine(line('Greeter.Test:8080', '/api/x?token=s3cret', 502, 0.25).trim()), {
      host: 'greeter.test',
      path: '/api/x',
      status: 502,
      duration: 0.25,
    });
    assert.equal(parseAccessLine(line('a.test', '/', 0).trim())?.status, 200, 'status 0 is Go’s 200');
    assert.equal(parseAccessLine('{"level":"info","msg":"other"}'), undefined);
    assert.equal(parseAccessLine('{"request":{"host":"a.te'), undefined, 'a partial line');
  });
});

describe('reading the log incrementally', () => {
  it('starts at the end the first time, then reads each whole line once; a partial line waits', async () => {
    const file = fresh();
    write(file, line('a.test', '/', 200));
    const first = await readAccessLog(file, undefined);
    assert.deepEqual(first.entries, [], 'what was logged before the first read is not counted');
    appendFileSync(file, line('a.test', '/x', 200) + line('b.test', '/', 500).slice(0, 30));
    const second = await readAccessLog(file, first.cursor);
    assert.deepEqual(
      second.entries.map((e) => e.path),
      ['/x'],
    );
    appendFileSync(file, line('b.test', '/', 500).slice(30));
    const third = await readAccessLog(file, second.cursor);
    assert.deepEqual(
      third.entries.map((e) => [e.host, e.status]),
      [['b.test', 500]],
    );
    const again = await readAccessLog(file, third.cursor);
    assert.deepEqual(again.entries, [], 'nothing counted twice');
  });

  it('finishes a rolled file (found by its inode) before the new one, as Caddy’s roller renames it', async () => {
    const file = fresh();
    write(file, line('a.test', '/', 200));
    const { cursor } = await readAccessLog(file, undefined);
    appendFileSync(file, line('a.test', '/before-roll', 200));
    renameSync(file, join(file, '..', 'access-2026-12-08T00-00-00.000.log'));
    writeFileSync(file, line('a.test', '/after-roll', 503));
    const r = await readAccessLog(file, cursor);
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['/before-roll', '/after-roll'],
    );
    const again = await readAccessLog(file, r.cursor);
    assert.deepEqual(again.entries, []);
  });

  it('reads every file rolled since, oldest first, and all that are left when its own was deleted', async () => {
    const file = fresh();
    const rolledName = (n: number) => join(file, '..', `access-2026-12-08T00-00-0${n}.000.log`);
    write(file, line('a.test', '/0', 200));
    const { cursor } = await readAccessLog(file, undefined);
    appendFileSync(file, line('a.test', '/1', 200));
    renameSync(file, rolledName(1));
    writeFileSync(file, line('a.test', '/2', 200));
    renameSync(file, rolledName(2));
    writeFileSync(file, line('a.test', '/3', 200));
    const r = await readAccessLog(file, cursor);
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['/1', '/2', '/3'],
    );
    // Two more rolls, and the roller deleted the oldest files, the cursor's among them: those left are all newer.
    appendFileSync(file, line('a.test', '/4', 200));
    renameSync(file, rolledName(3));
    writeFileSync(file, line('a.test', '/5', 200));
    renameSync(file, rolledName(4));
    writeFileSync(file, line('a.test', '/6', 200));
    for (const n of [1, 2, 3]) rmSync(rolledName(n));
    const gone = await readAccessLog(file, r.cursor);
    assert.deepEqual(
      gone.entries.map((e) => e.path),
      ['/5', '/6'],
      'what the deleted file held is lost, nothing else',
    );
  });

  it('reads the new file from its start when the rolled one is gone, and a truncated file anew', async () => {
    const file = fresh();
    write(file, line('a.test', '/', 200).repeat(3));
    const { cursor } = await readAccessLog(file, undefined);
    rmSync(file);
    writeFileSync(file, line('a.test', '/new', 200));
    const r = await readAccessLog(file, cursor);
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['/new'],
    );
    writeFileSync(file, ''); // truncated in place (same inode)
    appendFileSync(file, line('a.test', '/t', 200));
    const t = await readAccessLog(file, { ...r.cursor!, offset: r.cursor!.offset + 1000 });
    assert.deepEqual(
      t.entries.map((e) => e.path),
      ['/t'],
    );
  });

  it('keeps its cursor while the file does not exist', async () => {
    const cursor: AccessLogCursor = { ino: 1, offset: 10 };
    const r = await readAccessLog(join(dir, 'nothing', 'access.log'), cursor);
    assert.deepEqual(r, { entries: [], cursor, skipped: 0 });
  });

  it('reads a file Caddy made after the first read from its start', async () => {
    const file = fresh();
    const first = await readAccessLog(file, undefined);
    assert.deepEqual(first.cursor, { ino: 0, offset: 0 });
    write(file, line('a.test', '/first', 200));
    const r = await readAccessLog(file, first.cursor);
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['/first'],
    );
  });

  it('reads at most maxBytes per call and skips a line longer than the limit, in bounded memory', async () => {
    const file = fresh();
    write(file, '');
    const { cursor } = await readAccessLog(file, undefined);
    const long = `{"x":"${'y'.repeat(300_000)}"}\n`;
    appendFileSync(file, line('a.test', '/1', 200) + long + line('a.test', '/2', 200));
    const r = await readAccessLog(file, cursor, { maxLineBytes: 1024 });
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['/1', '/2'],
    );
    assert.equal(r.skipped, 1);
    appendFileSync(file, line('a.test', '/3', 200).repeat(100));
    const small = await readAccessLog(file, r.cursor, { maxBytes: 2000 });
    assert.ok(small.entries.length > 0 && small.entries.length < 100, `${small.entries.length} of 100`);
    const rest = await readAccessLog(file, small.cursor);
    assert.equal(small.entries.length + rest.entries.length, 100, 'the rest next time, none twice');
  });
});

describe('counting per route', () => {
  const routes = [
    { resource: 'port/site' as ResourceId, host: 'example.com', path: '/' },
    { resource: 'app/api' as ResourceId, host: 'example.com', path: '/api' },
    { resource: 'port/any' as ResourceId, host: '*.example.com', path: '/' },
  ];
  it('gives each request to the route Caddy matches: longest path prefix, exact hosts before wildcards', () => {
    assert.equal(routeOfRequest(routes, 'example.com', '/api/v1')?.resource, 'app/api');
    assert.equal(routeOfRequest(routes, 'example.com', '/API')?.resource, 'app/api');
    assert.equal(routeOfRequest(routes, 'example.com', '/apix')?.resource, 'port/site');
    assert.equal(routeOfRequest(routes, 'www.example.com', '/api')?.resource, 'port/any');
    assert.equal(routeOfRequest(routes, 'a.b.example.com', '/')?.resource, undefined);
  });

  it('counts requests, 5xx and durations per route key; unknown hosts under their own key', () => {
    const entries = [
      { host: 'example.com', path: '/', status: 200, duration: 0.01 },
      { host: 'example.com', path: '/api/x', status: 502, duration: 0.02 },
      { host: 'example.com', path: '/api', status: 404, duration: 0.03 },
      { host: 'unknown.test', path: '/', status: 200, duration: 0 },
    ];
    assert.deepEqual(countByRoute(entries, routes), {
      'example.com/': [1, 0, 10],
      'example.com/api': [2, 1, 50],
      [NO_ROUTE]: [1, 0, 0],
    });
  });
});
