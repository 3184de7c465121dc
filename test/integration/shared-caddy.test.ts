// Two HIY instances on one real Caddy: one's load never removes the other's servers, routes or access log, in turn or
// interleaved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import { parseOwned } from '../../src/drivers/caddy/render.js';
import type { PodmanDriver, RunSpec } from '../../src/drivers/podman/types.js';
import { objectNames } from '../../src/model/names.js';
import { accessLogFile } from '../../src/model/routing.js';
import { type RunningCaddy, startCaddy } from '../support/caddy.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';

/** What `h` serves for `host`, trimmed (Caddy answers a host no route matches with an empty 200). */
async function served(h: Harness, host: string): Promise<string> {
  const res = await h.get(host);
  assert.equal(res.status, 200, `${host} through ${h.instance}'s server`);
  return res.body.trim();
}

/** `p`, or a failure naming `what` once `ms` passed. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Podman with every container start held until `gate` resolves; `reached` is called when the first one waits. */
function holdingStarts(gate: Promise<void>, reached: () => void): (p: PodmanDriver) => PodmanDriver {
  return (p) =>
    new Proxy(p, {
      get(target, prop, receiver) {
        if (prop === 'runContainer')
          return async (spec: RunSpec) => {
            reached();
            await gate;
            return target.runContainer(spec);
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
}

describe('two HIY instances sharing one Caddy', () => {
  let caddy: RunningCaddy;
  let a: Harness;
  let b: Harness;

  before(async () => {
    caddy = await startCaddy();
    a = await startHarness({ 'site.yaml': webPort('site', 'a.test', { text: 'a1' }) }, { caddy });
    b = await startHarness({ 'site.yaml': webPort('site', 'b.test', { text: 'b1' }) }, { caddy });
  });

  after(async () => {
    // Each cleans only its own objects; the shared Caddy goes last, whatever failed before.
    await Promise.allSettled([a?.cleanup(), b?.cleanup()]);
    await caddy?.stop();
  });

  /** Both instances' parts of the shared Caddy, read back with a plain client: present and as HIY rendered them. */
  async function assertBothPristine(): Promise<void> {
    const config = await new CaddyAdminClient({ adminUrl: caddy.adminUrl }).getConfig();
    for (const h of [a, b]) {
      const owned = parseOwned(config, objectNames(h.instance).caddyServer);
      assert.equal(owned.present, true, `${h.instance}'s server is in Caddy`);
      assert.equal(owned.pristine, true, `${h.instance}'s server is as it rendered it`);
      assert.equal(owned.state?.accessLog, accessLogFile(h.dataDir), `${h.instance}'s access log is kept`);
    }
  }

  it('applying in turn, each keeps its own server and routes and sees no drift from the other', async () => {
    for (let round = 1; round <= 3; round++) {
      if (round > 1) {
        await a.commit({ 'site.yaml': webPort('site', 'a.test', { text: `a${round}` }) });
        await b.commit({ 'site.yaml': webPort('site', 'b.test', { text: `b${round}` }) });
      }
      const ra = await a.hiy(['apply']);
      assert.equal(ra.code, 0, ra.out + ra.err);
      assert.equal(await served(a, 'a.test'), `a${round}:hello`);
      const rb = await b.hiy(['apply']);
      assert.equal(rb.code, 0, rb.out + rb.err);
      assert.equal(await served(b, 'b.test'), `b${round}:hello`);
      assert.equal(await served(a, 'a.test'), `a${round}:hello`, "b's load kept a's route");
    }
    await assertBothPristine();
    for (const h of [a, b]) {
      const p = await h.hiy(['plan', '--detailed-exitcode']);
      assert.equal(p.code, 0, `${h.instance} plans no change: ${p.out}${p.err}`);
    }
  });

  it("a load merged from a copy taken before the other's apply keeps what that apply added", async () => {
    await a.commit({ 'site.yaml': webPort('site', 'a.test', { text: 'a-late' }) });
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let reached = () => {};
    const held = new Promise<void>((r) => {
      reached = r;
    });
    // a observes Caddy (b has no b2.test yet), then waits in its containers phase, before its one Caddy load.
    const applyA = a.hiy(['apply'], {}, holdingStarts(gate, reached));
    try {
      await within(
        180_000,
        "a's apply to reach its container start",
        Promise.race([
          held,
          applyA.then((r) => {
            throw new Error(`a's apply ended before starting a container (${r.code}): ${r.out}${r.err}`);
          }),
        ]),
      );
      await b.commit({ 'more.yaml': webPort('more', 'b2.test', { text: 'b2' }) });
      const rb = await b.hiy(['apply']);
      assert.equal(rb.code, 0, rb.out + rb.err);
      assert.equal(await served(b, 'b2.test'), 'b2:hello');
    } finally {
      release();
    }
    const ra = await applyA;
    assert.equal(ra.code, 0, ra.out + ra.err);
    assert.equal(await served(a, 'a.test'), 'a-late:hello');
    assert.equal(await served(b, 'b2.test'), 'b2:hello', "a's load kept the route b added after a observed");
    assert.equal(await served(b, 'b.test'), 'b3:hello');
    await assertBothPristine();
    const p = await b.hiy(['plan', '--detailed-exitcode']);
    assert.equal(p.code, 0, `b plans no change: ${p.out}${p.err}`);
  });
});
