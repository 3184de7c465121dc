// Values refused when validating (file:line:col and field path) instead of failing or changing meaning at apply.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { loadDesiredFromFiles } from '../../../src/desired/load.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import type { GitReader } from '../../../src/drivers/git/types.js';
import { runArgv } from '../../../src/drivers/podman/argv.js';
import { objectNames } from '../../../src/model/names.js';
import { ENV_TOTAL_MAX_BYTES, ENV_VALUE_MAX_BYTES, type PortResource } from '../../../src/model/resources.js';
import { DEFAULT_SETTINGS } from '../../../src/model/settings.js';
import { toDesiredWorkload } from '../../../src/model/workload.js';
import { plan } from '../../../src/plan/plan.js';
import { desired, emptyObserved, SETTINGS } from '../../support/fixtures.js';

const port = (spec: string) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: web\nspec:\n  image: nginx\n${spec}`;

/** `line:col path: summary` of every diagnostic of one Port. */
function problems(spec: string): string[] {
  return parseStateFiles([{ path: 'w.yaml', text: port(spec) }]).diagnostics.map(
    (d) => `${d.line}:${d.column} ${d.path}: ${d.summary}`,
  );
}

describe('volume mount paths', () => {
  const mount = (p: string) =>
    problems(`  volumes:\n    - name: data\n      mountPath: ${JSON.stringify(p)}\n`);

  test('a ":" is refused: /data:ro would mount read-only, /x:/y would become a Podman option', () => {
    for (const p of ['/data:ro', '/x:/y'])
      assert.deepEqual(mount(p), [
        '9:18 spec.volumes[0].mountPath: must not contain ":" (Podman would read what follows as mount options, e.g. :ro)',
      ]);
  });

  test('/, the kernel file systems and paths that are not absolute and clean are refused', () => {
    const cases: Record<string, string> = {
      '/': "must not be / (the container's root)",
      '/proc': "must not be /proc or under it (the kernel's file system in the container)",
      '/sys/fs/x': "must not be /sys or under it (the kernel's file system in the container)",
      '/dev/shm': "must not be /dev or under it (the kernel's file system in the container)",
      data: 'must be an absolute path',
      '/data/': 'must not end with "/"',
      '/a//b': 'must not contain "//"',
      '/a/./b': 'must not contain "." or ".." segments',
      '/a/../proc': 'must not contain "." or ".." segments',
    };
    for (const [p, why] of Object.entries(cases))
      assert.deepEqual(mount(p), [`9:18 spec.volumes[0].mountPath: ${why}`], p);
  });

  test('clean absolute paths pass, including ones that merely start like a reserved one', () => {
    for (const p of ['/data', '/var/lib/postgresql/data', '/devices', '/process', '/a.b/c-d_e'])
      assert.deepEqual(mount(p), [], p);
  });
});

describe('environment variables', () => {
  test('a NUL byte in a value is refused', () => {
    assert.deepEqual(problems('  env:\n    A: "x\\0y"\n'), [
      '8:8 spec.env.A: must not contain a NUL byte (Podman cannot pass it)',
    ]);
  });

  test('one value, or all of them, larger than podman run can pass is refused', () => {
    const big = 'x'.repeat(ENV_VALUE_MAX_BYTES + 1);
    assert.deepEqual(problems(`  env:\n    A: ${big}\n`), [
      `8:8 spec.env.A: must have at most 32 KiB (podman run passes each variable as one argument)`,
    ]);
    const n = Math.ceil(ENV_TOTAL_MAX_BYTES / ENV_VALUE_MAX_BYTES) + 1;
    const vars = Array.from({ length: n }, (_, i) => `    V${i}: ${'y'.repeat(ENV_VALUE_MAX_BYTES - 10)}\n`);
    const [d, ...rest] = problems(`  env:\n${vars.join('')}`);
    const m = /^8:5 spec\.env: the variables take (\d+) bytes; at most 524288 bytes \(512 KiB\) in all/.exec(
      d!,
    );
    assert.ok(m, d);
    // The real count: each variable's name, value, `=` and separator.
    assert.equal(
      Number(m[1]),
      vars.reduce((t, v) => t + v.trim().length, 0),
    );
    assert.deepEqual(rest, []);
  });

  test('__proto__ as a name is refused, never dropped', () => {
    for (const map of ['env', 'secretEnv'])
      assert.deepEqual(problems(`  ${map}:\n    __proto__: "x"\n    B: "y"\n`), [
        `8:5 spec.${map}.__proto__: "__proto__" cannot be a key: JavaScript objects reserve it`,
      ]);
    assert.deepEqual(problems('  __proto__: {}\n'), [
      '7:3 spec.__proto__: "__proto__" cannot be a key: JavaScript objects reserve it',
    ]);
  });

  test('constructor and prototype are ordinary names, passed through to podman run', () => {
    const { resources, diagnostics } = parseStateFiles([
      { path: 'w.yaml', text: port('  env:\n    constructor: "1"\n    prototype: "2"\n') },
    ]);
    assert.deepEqual(diagnostics, []);
    const w = toDesiredWorkload(resources[0]!.resource as PortResource, { names: objectNames('default') });
    assert.deepEqual(w.env, { constructor: '1', prototype: '2' });
    const p = plan({
      desired: desired([w]),
      observed: emptyObserved(),
      observedFingerprint: 'fp',
      settings: SETTINGS,
    });
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    const argv = runArgv(create.run);
    assert.ok(argv.includes('constructor=1') && argv.includes('prototype=2'), argv.join(' '));
  });

  test('a secretEnv named constructor is not mistaken for one set in env too', () => {
    const parsed = parseStateFiles([
      { path: 'w.yaml', text: port('  secretEnv:\n    constructor: db-password\n') },
    ]);
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(checkResources(parsed.resources), []);
  });
});

describe('route hosts', () => {
  const host = (h: string) => problems(`  routes:\n    - host: ${h}\n      port: 80\n`);

  test('longer than 253 characters, a label longer than 63, or an IP address is refused', () => {
    const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
    assert.deepEqual(host(long), [
      `8:13 spec.routes[0].host: must have at most 253 characters (a DNS name), got ${long.length}`,
    ]);
    assert.deepEqual(host(`${'b'.repeat(64)}.example.com`), [
      '8:13 spec.routes[0].host: each label must have at most 63 characters; "bbbbbbbbbbbbbbbbbbbb…" has 64',
    ]);
    for (const ip of ['127.0.0.1', '10.1.2.3'])
      assert.deepEqual(host(ip), [
        '8:13 spec.routes[0].host: must be a host name, not an IP address: Caddy routes and certificates go by name',
      ]);
  });

  test('ordinary names, wildcards and digits inside a name pass', () => {
    for (const h of ['blog.example.com', '"*.example.com"', '1password.example.com', 'a1.b2.c3', 'localhost'])
      assert.deepEqual(host(h), [], h);
  });
});

describe('host ports HIY itself uses', () => {
  const git = {} as GitReader; // Ports only: no App source to resolve
  const settings = { ...DEFAULT_SETTINGS, stateRepo: '/state', branch: 'main', instance: 't' };
  async function hostPort(p: string, box: Partial<typeof settings> = {}): Promise<string[]> {
    const r = await loadDesiredFromFiles([{ path: 'w.yaml', text: port(`  ports:\n${p}`) }], {
      settings: { ...settings, ...box },
      git,
    });
    return r.diagnostics.map((d) => `${d.line}:${d.column} ${d.path}: ${d.summary}`);
  }

  test('unprivileged, a host port under net.ipv4.ip_unprivileged_port_start is refused, naming the sysctl', async () => {
    const ports = '    - { containerPort: 25, hostPort: 25 }\n    - { containerPort: 587, hostPort: 1024 }\n';
    assert.deepEqual(await hostPort(ports, { portFloor: 1024 }), [
      '8:38 spec.ports[0].hostPort: host port 25 is below net.ipv4.ip_unprivileged_port_start (1024): HIY runs unprivileged and cannot publish it',
    ]);
    // Privileged (no floor probed): any port.
    assert.deepEqual(await hostPort(ports), []);
  });

  test('a limit the box cannot enforce is a warning at the field, naming why; none where it can', async () => {
    const spec = '  resources: { memory: 256Mi, cpus: 0.5 }\n  ports: []\n';
    const load = (box: Partial<typeof settings>) =>
      loadDesiredFromFiles([{ path: 'w.yaml', text: port(spec) }], {
        settings: { ...settings, ...box },
        git,
      });
    const why = 'cgroup v1: memory, cpus and pids limits are not enforced for rootless containers';
    const r = await load({ limitsNotEnforced: why });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.path}: ${d.summary}`),
      [
        `warning 7 spec.resources.memory: memory limit 256Mi is not enforced on this box (${why})`,
        `warning 7 spec.resources.cpus: cpus limit 0.5 is not enforced on this box (${why})`,
      ],
    );
    assert.ok(r.state, 'a warning refuses nothing');
    assert.match(r.diagnostics[0]!.detail ?? '', /docs\/rootless\.md/);
    assert.deepEqual((await load({})).diagnostics, []);
  });

  test('a host port inside HIY_UPSTREAM_PORTS is refused', async () => {
    assert.deepEqual(await hostPort('    - { containerPort: 5432, hostPort: 20001 }\n'), [
      '8:40 spec.ports[0].hostPort: host port 20001 is in HIY_UPSTREAM_PORTS (20000-29999), the ports HIY gives to the containers Caddy proxies to',
    ]);
  });

  test("a host port where HIY's Caddy listens is refused, by address and protocol", async () => {
    assert.deepEqual(await hostPort('    - { containerPort: 80, hostPort: 80 }\n'), [
      "8:38 spec.ports[0].hostPort: host port 80/tcp is where HIY's Caddy listens (HIY_HTTP_ADDR=:80)",
    ]);
    assert.deepEqual(await hostPort('    - { containerPort: 443, hostPort: 443, protocol: udp }\n'), [
      "8:39 spec.ports[0].hostPort: host port 443/udp is where HIY's Caddy listens (HIY_HTTPS_ADDR=:443)",
    ]);
    // Caddy on 127.0.0.1:8080 only: another address may publish 8080; every address may not.
    const box = { httpAddr: '127.0.0.1:8080' };
    assert.deepEqual(
      await hostPort('    - { containerPort: 80, hostPort: 8080, hostIP: 10.0.0.5 }\n', box),
      [],
    );
    assert.deepEqual(await hostPort('    - { containerPort: 80, hostPort: 8080 }\n', box), [
      "8:38 spec.ports[0].hostPort: host port 8080/tcp is where HIY's Caddy listens (HIY_HTTP_ADDR=127.0.0.1:8080)",
    ]);
    // With HIY_TLS=off there is no HTTPS server.
    assert.deepEqual(await hostPort('    - { containerPort: 443, hostPort: 443 }\n', { tls: 'off' }), []);
  });

  test('other host ports pass', async () => {
    assert.deepEqual(await hostPort('    - { containerPort: 5432, hostPort: 5432 }\n'), []);
  });
});
