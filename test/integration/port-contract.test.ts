// The port contract on real Podman and Caddy: an image built here declares what it needs in its io.hiy.port.v1
// label; a Port missing a required variable fails the plan and creates nothing, a short Port serves.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { LABEL_INSTANCE } from '../../src/model/labels.js';
import { PORT_LABEL } from '../../src/model/portContract.js';
import { buildBusyboxPort } from '../support/busyboxPort.js';
import { type Harness, startHarness } from '../support/hiy.js';
import { BUSYBOX_IMAGE, instanceObjects } from '../support/podman.js';

const DECLARATION = {
  contract: 'v1',
  name: 'greeter',
  version: '1.2.0',
  dataVersion: 1,
  description: 'says hello to its domain',
  env: {
    DOMAIN: { description: 'the mail domain', required: true, pattern: '[a-z0-9.-]+\\.[a-z]{2,}' },
    GREETING: { description: 'the greeting', default: 'hello' },
    TOKEN: { description: 'the API token', secret: true },
  },
  volumes: [{ name: 'data', mountPath: '/data', description: 'the greetings said' }],
  ports: [{ containerPort: 8080, description: 'the web site', http: true }],
  healthcheck: { http: { path: '/', port: 8080 }, interval: '1s', timeout: '20s' },
};

/** What the test ports run: say hello in the page and in the data volume, then serve. */
const SAY_AND_SERVE =
  'mkdir -p /www && echo "$GREETING $DOMAIN" | tee /www/index.html >> /data/said && exec httpd -f -p 8080 -h /www';

const portYaml = (image: string, env: string) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: greeter
spec:
  image: ${image}
${env}  routes:
    - { host: greeter.test, port: 8080 }
  stopGracePeriod: 1s
`;

describe('the port contract on real Podman', () => {
  let h: Harness;
  let image: string;

  before(async () => {
    h = await startHarness();
    image = `localhost/hiy-test/${h.instance}-greeter:1`;
    await buildBusyboxPort(h.instance, image, SAY_AND_SERVE, DECLARATION);
  });
  after(async () => {
    await h.cleanup();
  });

  it('a missing required variable fails hiy plan and hiy apply at file:line:col, and creates nothing', async () => {
    await h.commit({ 'ports/greeter.yaml': portYaml(image, '') });
    const expected =
      'ports/greeter.yaml:6:3: spec.env.DOMAIN: required by port greeter 1.2.0: the mail domain';
    const plan = await h.hiy(['plan']);
    assert.notEqual(plan.code, 0);
    assert.ok(plan.err.includes(expected), plan.err);
    const validate = await h.hiy(['validate']);
    assert.notEqual(validate.code, 0);
    assert.ok(validate.err.includes(expected), validate.err);
    const apply = await h.hiy(['apply']);
    assert.notEqual(apply.code, 0);
    assert.ok(apply.err.includes(expected), apply.err);
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), []);
  });

  it('a value failing its pattern is refused the same way', async () => {
    await h.commit({ 'ports/greeter.yaml': portYaml(image, '  env:\n    DOMAIN: "not a domain"\n') });
    const plan = await h.hiy(['plan']);
    assert.notEqual(plan.code, 0);
    assert.match(plan.err, /ports\/greeter\.yaml:8:13: spec\.env\.DOMAIN: does not match/);
  });

  it('a secret given as plain env and a declared volume left unmounted are refused, all at once', async () => {
    await h.commit({
      'ports/greeter.yaml': portYaml(
        image,
        '  env:\n    DOMAIN: example.org\n    TOKEN: plain\n  volumes:\n    - { name: other, mountPath: /srv }\n',
      ),
    });
    const plan = await h.hiy(['plan']);
    assert.notEqual(plan.code, 0);
    assert.match(
      plan.err,
      /ports\/greeter\.yaml:9:12: spec\.env\.TOKEN: is a secret of port greeter 1\.2\.0 \(the API token\): give it in spec\.secretEnv, not in env/,
    );
    assert.match(
      plan.err,
      /ports\/greeter\.yaml:11:\d+: spec\.volumes: \/data is not mounted: port greeter 1\.2\.0 keeps the greetings said there/,
    );
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
  });

  it('hiy validate says when an image is not on the box and its declaration could not be checked', async () => {
    const absent = `localhost/hiy-test/${h.instance}-absent:1`;
    await h.commit({ 'ports/greeter.yaml': portYaml(absent, '') });
    const validate = await h.hiy(['validate']);
    assert.equal(validate.code, 0, validate.err);
    assert.match(
      validate.err,
      new RegExp(
        `warning: ports/greeter\\.yaml:6:\\d+: spec\\.image: ${absent.replace(/[.]/g, '\\.')} is not on the box: its port declaration could not be checked`,
      ),
    );
  });

  it('a short Port (image and DOMAIN) gets the declared volume, health check and defaults, and serves', async () => {
    await h.commit({
      'ports/greeter.yaml': portYaml(image, '  env:\n    DOMAIN: example.org\n    COLOUR: blue\n'),
    });
    const plan = await h.hiy(['plan']);
    assert.equal(plan.code, 0, plan.err);
    assert.match(
      plan.err,
      /warning: ports\/greeter\.yaml:9:13: spec\.env\.COLOUR: is not a variable of port greeter 1\.2\.0/,
    );
    const json = await h.hiy(['plan', '--json']);
    assert.deepEqual(
      JSON.parse(json.out).warnings.map((d: Record<string, unknown>) => [
        d.severity,
        `${d.file}:${d.line}:${d.column}`,
        d.path,
        d.summary,
      ]),
      [['warning', 'ports/greeter.yaml:9:13', 'spec.env.COLOUR', 'is not a variable of port greeter 1.2.0']],
    );
    const create = JSON.parse(json.out).actions.find((a: { kind: string }) => a.kind === 'container.create');
    assert.deepEqual(create.after.env, { COLOUR: 'blue', DOMAIN: 'example.org', GREETING: 'hello' });
    assert.deepEqual(create.after.volumes, [
      { mountPath: '/data', readOnly: false, volume: `hiy-${h.instance}-greeter-data` },
    ]);
    const apply = await h.hiy(['apply']);
    assert.equal(apply.code, 0, apply.err);
    assert.equal((await h.get('greeter.test')).body.trim(), 'hello example.org');
    const status = JSON.parse((await h.hiy(['status', '--json'])).out) as {
      resources: { pending: boolean }[];
    };
    assert.equal(
      status.resources[0]?.pending,
      false,
      'status plans the short Port as apply did: nothing pending',
    );
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), [
      `hiy-${h.instance}-greeter-data`,
    ]);
  });

  it('a no-op reconcile reads no declaration again: 3 external calls', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.calls.podman + r.calls.caddy, 3, JSON.stringify(r.calls));
  });

  it('a check hook that exits 1 fails the deploy with its output; the previous version keeps serving', async () => {
    const failing = `localhost/hiy-test/${h.instance}-greeter:2`;
    await buildBusyboxPort(h.instance, failing, SAY_AND_SERVE, {
      ...DECLARATION,
      version: '1.3.0',
      hooks: { check: ['/bin/sh', '-c', 'echo "checking $DOMAIN as $HIY_HOOK of $HIY_RESOURCE"; exit 1'] },
    });
    await h.commit({ 'ports/greeter.yaml': portYaml(failing, '  env:\n    DOMAIN: example.org\n') });
    const apply = await h.hiy(['apply']);
    assert.notEqual(apply.code, 0);
    assert.match(
      apply.err,
      /the check hook of port greeter 1\.3\.0 failed \(exit 1\); the running version keeps serving/,
    );
    assert.match(apply.err, /checking example\.org as check of greeter/);
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    const greeter = status.resources.find((x: { id: string }) => x.id === 'port/greeter');
    assert.match(greeter.lastError, /checking example\.org as check of greeter/);
    const events = JSON.parse((await h.hiy(['events', '--json'])).out) as { type: string; message: string }[];
    assert.ok(events.some((e) => e.type === 'resource.failed' && e.message.includes('checking example.org')));
    assert.equal((await h.get('greeter.test')).body.trim(), 'hello example.org');
    const names = await instanceObjects('containers', h.instance, '{{.Names}}');
    assert.deepEqual(names, [`hiy-${h.instance}-greeter`], 'no check container is left behind');
  });

  it('the toolkit: hiy port new, hiy port label, a build, and hiy port check runs the check hook', async () => {
    const dir = join(h.root, 'echo');
    const created = await h.hiy(['port', 'new', dir, '--from', BUSYBOX_IMAGE]);
    assert.equal(created.code, 0, created.err);
    const label = await h.hiy(['port', 'label', join(dir, 'port.yaml')]);
    assert.equal(label.code, 0, label.err);
    assert.equal(JSON.parse(label.out).name, 'echo');
    const tag = `localhost/hiy-test/${h.instance}-echo:0.1.0`;
    await execa('podman', [
      'build',
      '-q',
      '-t',
      tag,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
      '--label',
      `${PORT_LABEL}=${label.out.trim()}`,
      dir,
    ]);
    const check = await h.hiy(['port', 'check', tag]);
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, /port echo 0\.1\.0, data version 1: the declaration is valid/);
    assert.match(check.out, /echo: configuration for example\.org looks right/);
    await writeFile(join(dir, 'hooks/check'), '#!/bin/sh\necho "no database configured" >&2\nexit 3\n', {
      mode: 0o755,
    });
    const failingTag = `localhost/hiy-test/${h.instance}-echo:0.1.1`;
    await execa('podman', [
      'build',
      '-q',
      '-t',
      failingTag,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
      '--label',
      `${PORT_LABEL}=${label.out.trim()}`,
      dir,
    ]);
    const failed = await h.hiy(['port', 'check', failingTag]);
    assert.notEqual(failed.code, 0);
    assert.match(failed.err, /the check hook failed \(exit 3\)/);
    assert.match(failed.err, /no database configured/);
    const left = await execa('podman', ['volume', 'ls', '-q', '--filter', 'name=hiy-portcheck-']);
    assert.equal(left.stdout.trim(), '', 'the check volumes are removed');
    await writeFile(join(h.root, 'broken.yaml'), 'contract: v1\nname: Echo\nversion: "1"\n');
    const broken = await h.hiy(['port', 'label', join(h.root, 'broken.yaml')]);
    assert.notEqual(broken.code, 0);
    assert.match(broken.err, /broken\.yaml: name: must be a DNS label/);
    assert.match(broken.err, /broken\.yaml: dataVersion: /);
  });
});
