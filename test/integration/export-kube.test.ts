// `hiy export kube --with-data --with-secret-values`, played by `podman kube play` through play.sh: the same
// responses as the HIY-managed workload, with the volume's data and the secret, and every manifest schema-valid.
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/export/types.js';
import { schemaProblems } from '../../src/export/validate.js';
import { type Harness, startHarness } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

let h: Harness;
let name: string;
let out: string;
const kubeSecret = () => `kx-pass-${h.instance}`;

function portYaml(): string {
  const script = 'echo "$GREETING:$PASS" > /data/env.txt && exec httpd -f -p 8080 -h /data';
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  env:
    GREETING: hello from the box
  secretEnv:
    PASS: ${kubeSecret()}
  volumes:
    - name: data
      mountPath: /data
  routes:
    - host: ${name}.test
      port: 8080
  healthcheck:
    http: { path: /env.txt, port: 8080 }
    interval: 1s
    timeout: 30s
  jobs:
    - name: tidy
      schedule: "0 30 3 * * *"
      command: ["/bin/sh", "-c", "true"]
  stopGracePeriod: 1s
`;
}

/** GET http://ADDR:8080/PATH of a pod played by podman (its address on the network kube play put it on). */
async function podGet(pod: string, path: string): Promise<string> {
  const infra = (await execa('podman', ['pod', 'inspect', pod, '--format', '{{.InfraContainerID}}'])).stdout;
  const ip = (
    await execa('podman', [
      'inspect',
      infra,
      '--format',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    ])
  ).stdout.trim();
  const res = await fetch(`http://${ip}:8080${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, `GET ${path} from the played pod`);
  return res.text();
}

before(async () => {
  h = await startHarness();
  name = `kx-${h.instance}`;
  out = join(h.root, 'export');
  const secretFile = join(h.root, 'pass');
  await writeFile(secretFile, 's3cret value');
  const set = await h.hiy(['secret', 'set', kubeSecret(), '--from-file', secretFile]);
  assert.equal(set.code, 0, set.err);
  await h.commit({ 'kx.yaml': portYaml() });
  const applied = await h.hiy(['apply']);
  assert.equal(applied.code, 0, applied.err);
});

after(async () => {
  if (process.env.KX_KEEP) return;
  if (out) await execa('sh', [join(out, 'play.sh'), 'down'], { reject: false });
  await execa('podman', ['volume', 'rm', '-f', `${name}-data`], { reject: false });
  await execa('podman', ['secret', 'rm', kubeSecret()], { reject: false });
  await h?.cleanup();
});

test('the exported workload, played by podman kube play, serves what HIY serves, with its data and secret', async () => {
  // Data written into the volume, then a verified snapshot of it: what --with-data exports.
  const volume = `hiy-${h.instance}-${name}-data`;
  const mountpoint = (
    await execa('podman', ['volume', 'inspect', volume, '--format', '{{.Mountpoint}}'])
  ).stdout.trim();
  await writeFile(join(mountpoint, 'index.html'), `data of ${name}\n`);
  const snap = await h.hiy(['snapshot', 'create', name]);
  assert.equal(snap.code, 0, snap.err);
  const fromHiy = {
    index: await h.get(`${name}.test`, '/index.html'),
    env: await h.get(`${name}.test`, '/env.txt'),
  };
  assert.equal(fromHiy.index.body, `data of ${name}\n`);
  assert.equal(fromHiy.env.body, 'hello from the box:s3cret value\n');

  const exported = await h.hiy(['export', 'kube', '--out', out, '--with-data', '--with-secret-values']);
  assert.equal(exported.code, 0, exported.err);
  assert.match(exported.err, /--with-secret-values wrote secret values/);
  assert.match(exported.err, /seconds field "0"|localhost\/hiy\/busybox/);

  // Every manifest validates against the Kubernetes schemas, and says which commit it came from.
  const head = (await execa('git', ['-C', h.stateDir, 'rev-parse', 'HEAD'])).stdout.trim();
  const objects: KubeObject[] = [];
  for (const file of (await readdir(out)).filter((f) => f.endsWith('.yaml'))) {
    const text = await readFile(join(out, file), 'utf8');
    assert.match(text, new RegExp(`^# Exported by hiy export kube from state repo commit ${head}\\.`));
    for (const doc of parseAllDocuments(text)) objects.push(doc.toJS() as KubeObject);
  }
  assert.deepEqual(schemaProblems(objects), []);
  const kinds = objects.map((o) => o.kind).sort();
  for (const kind of [
    'CronJob',
    'Deployment',
    'Ingress',
    'NetworkPolicy',
    'PersistentVolumeClaim',
    'Secret',
    'Service',
  ])
    assert.ok(kinds.includes(kind), `the export has a ${kind}`);
  assert.equal((await stat(join(out, 'secrets.yaml'))).mode & 0o777, 0o600);

  const played = await execa('sh', [join(out, 'play.sh')], { reject: false });
  assert.equal(played.exitCode, 0, `${played.stdout}\n${played.stderr}`);
  assert.match(
    played.stdout,
    new RegExp(`volume ${name}-data created and loaded from data/${name}-data.tar`),
  );
  const pod = `${name}-pod-0`;
  const index = await waitFor(() => podGet(pod, '/index.html').catch(() => undefined), {
    timeoutMs: 60_000,
    what: 'the played pod to serve',
  });
  assert.equal(index, fromHiy.index.body);
  assert.equal(await podGet(pod, '/env.txt'), fromHiy.env.body);

  // Played again: the volume (and its data) is kept, the pod replaced.
  const again = await execa('sh', [join(out, 'play.sh')], { reject: false });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`volume ${name}-data exists, kept as it is`));
});
