// One contract for the Podman driver, run against real Podman (PodmanCli) and the in-memory FakePodman.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { FakePodman } from '../../src/drivers/podman/fake.js';
import { PodmanCli } from '../../src/drivers/podman/runner.js';
import { type PodmanDriver, PodmanError, type RunSpec } from '../../src/drivers/podman/types.js';
import { LABEL_INSTANCE, LABEL_RESOURCE, ownershipLabels } from '../../src/model/labels.js';
import { linkNetwork, ownNetwork } from '../../src/plan/network.js';
import { BUSYBOX_IMAGE, cleanupInstance, ensureBusyboxImage, testInstance } from '../support/podman.js';
import { freePort, waitFor } from '../support/ports.js';

interface Subject {
  driver: PodmanDriver & { calls: number };
  /** Real Podman: also checks what only a real container can show (an HTTP answer). */
  real: boolean;
  /** Removes what the instance left; the names it cannot find by label are passed. */
  cleanup(instance: string, unlabelledNames: string[]): Promise<void>;
  /** Writes files (path relative to the volume root → text) into a volume, as a container would. */
  putVolumeFiles(volume: string, files: Record<string, string>): Promise<void>;
  /** Reads a file of a volume, as a container would. */
  readVolumeFile(volume: string, path: string): Promise<string>;
  /** The fake's stand-in for a container printing lines (a real container prints them itself). */
  print(container: string, lines: string[]): void;
  /** Pauses a container (HIY never does; a person or another tool may). */
  pause(name: string): Promise<void>;
}

/** An OutputSink that keeps what it is given. */
function collect() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    sink: {
      stdout(c: string) {
        out.stdout += c;
      },
      stderr(c: string) {
        out.stderr += c;
      },
    },
  };
}

function contract(title: string, makeSubject: () => Promise<Subject>): void {
  describe(title, () => {
    const instance = testInstance('t');
    const owned = ownershipLabels(instance);
    const unlabelled: string[] = [];
    let subject: Subject;
    let driver: Subject['driver'];

    const runSpec = (name: string, extra: Partial<RunSpec> = {}): RunSpec => ({
      name: `${instance}-${name}`,
      image: BUSYBOX_IMAGE,
      labels: { ...owned, [LABEL_RESOURCE]: `port/${name}` },
      env: { GREETING: 'hello' },
      entrypoint: ['/bin/httpd', '-f', '-p', '8080', '-h', '/'],
      volumes: [],
      publish: [],
      restart: 'no',
      stopTimeoutSeconds: 0,
      ...extra,
    });

    const findOwned = async (name: string) =>
      (await driver.listContainers(owned)).find((c) => c.name === `${instance}-${name}`);

    before(async () => {
      subject = await makeSubject();
      driver = subject.driver;
    });
    after(async () => {
      await subject.cleanup(instance, unlabelled);
    });

    test('volumes are created and listed by every label', async () => {
      await driver.createVolume(`${instance}-data`, { ...owned, 'hiy.volume': 'data' });
      // Carries only one of the two ownership labels: must not be listed (Podman ORs volume filters).
      await driver.createVolume(`${instance}-partial`, { [LABEL_INSTANCE]: instance });
      const vols = await driver.listVolumes(owned);
      assert.deepEqual(
        vols.map((v) => v.name),
        [`${instance}-data`],
      );
      assert.deepEqual(vols[0]?.labels, { ...owned, 'hiy.volume': 'data' });
      assert.match(vols[0]?.mountpoint ?? '', /\/_data$/);
      await assert.rejects(driver.createVolume(`${instance}-data`, owned), PodmanError);
      await driver.removeVolume(`${instance}-partial`);
      await assert.rejects(driver.removeVolume(`${instance}-partial`), PodmanError);
    });

    test('run, list, stop, start, rename, remove', async () => {
      const port = await freePort();
      const id = await driver.runContainer(
        runSpec('web', {
          publish: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 8080, protocol: 'tcp' }],
          volumes: [{ source: `${instance}-data`, target: '/data', readOnly: false }],
        }),
      );
      assert.match(id, /^[0-9a-f]{64}$/);

      const listed = await findOwned('web');
      assert.ok(listed, 'the container is listed by its labels');
      assert.equal(listed.id, id);
      assert.equal(listed.state, 'running');
      assert.equal(listed.image, BUSYBOX_IMAGE);
      assert.match(listed.imageId, /^[0-9a-f]{64}$/);
      assert.deepEqual(listed.labels, { ...owned, [LABEL_RESOURCE]: 'port/web' });
      assert.deepEqual(listed.ports, [
        { hostIp: '127.0.0.1', hostPort: port, containerPort: 8080, protocol: 'tcp' },
      ]);
      assert.ok(listed.createdAt > 1_600_000_000);

      if (subject.real) {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/bin/`)).status < 500, {
          what: 'busybox httpd to answer',
        });
      }

      await driver.stopContainer(`${instance}-web`, 0);
      assert.equal((await findOwned('web'))?.state, 'exited');
      await driver.startContainer(`${instance}-web`);
      assert.equal((await findOwned('web'))?.state, 'running');

      await driver.renameContainer(`${instance}-web`, `${instance}-web-old`);
      assert.equal(await findOwned('web'), undefined);
      assert.equal((await findOwned('web-old'))?.id, id);

      await driver.removeContainer(`${instance}-web-old`, 0);
      assert.equal(await findOwned('web-old'), undefined);
      await driver.removeContainer(`${instance}-web-old`, 0);
    });

    test('a paused container: start and stop are refused, unpause runs it again', async () => {
      await driver.runContainer(runSpec('paused'));
      await subject.pause(`${instance}-paused`);
      assert.equal((await findOwned('paused'))?.state, 'paused');
      const start = await driver.startContainer(`${instance}-paused`).catch((e: unknown) => e);
      assert.ok(start instanceof PodmanError);
      assert.match(start.message, /container state improper/);
      await assert.rejects(driver.stopContainer(`${instance}-paused`, 0), /container state improper/);
      await driver.unpauseContainer(`${instance}-paused`);
      assert.equal((await findOwned('paused'))?.state, 'running');
      await assert.rejects(driver.unpauseContainer(`${instance}-paused`), /not paused/);
      await driver.removeContainer(`${instance}-paused`, 0);
    });

    test('init: refused for a running container; an exited one is initialized and starts', async () => {
      await driver.runContainer(runSpec('init'));
      await assert.rejects(driver.initContainer(`${instance}-init`), /container state improper/);
      await driver.stopContainer(`${instance}-init`, 0);
      await driver.initContainer(`${instance}-init`);
      await driver.startContainer(`${instance}-init`);
      assert.equal((await findOwned('init'))?.state, 'running');
      await driver.removeContainer(`${instance}-init`, 0);
    });

    test('a name already in use is refused', async () => {
      await driver.runContainer(runSpec('dup'));
      const err = await driver.runContainer(runSpec('dup')).catch((e: unknown) => e);
      assert.ok(err instanceof PodmanError);
      assert.equal(err.data.exitCode, 125);
      assert.match(err.message, /^podman run failed \(exit 125\): .*already in use/);
      assert.ok(!err.data.argv.some((a) => a.includes('hello')), 'env values are not in errors');
      await driver.runContainer(runSpec('other'));
      await assert.rejects(driver.renameContainer(`${instance}-other`, `${instance}-dup`), PodmanError);
    });

    test('running a missing image fails', async () => {
      const err = await driver
        .runContainer(runSpec('ghost', { image: `localhost/hiy/not-there:${instance}` }))
        .catch((e: unknown) => e);
      assert.ok(err instanceof PodmanError);
      assert.match(err.message, /image not known/);
      assert.equal(await findOwned('ghost'), undefined);
    });

    test('acting on an absent container fails, except remove', async () => {
      await assert.rejects(driver.startContainer(`${instance}-absent`), PodmanError);
      await assert.rejects(driver.stopContainer(`${instance}-absent`, 0), PodmanError);
      await assert.rejects(driver.renameContainer(`${instance}-absent`, `${instance}-x`), PodmanError);
      await assert.rejects(driver.exec(`${instance}-absent`, ['true'], 10_000), PodmanError);
      await driver.removeContainer(`${instance}-absent`, 0);
    });

    test('listing by labels excludes unlabelled and partly labelled containers', async () => {
      const bare = `${instance}-bare`;
      unlabelled.push(bare);
      await driver.runContainer({ ...runSpec('bare'), name: bare, labels: {} });
      await driver.runContainer({ ...runSpec('partial'), labels: { [LABEL_INSTANCE]: instance } });
      const names = (await driver.listContainers(owned)).map((c) => c.name);
      assert.ok(!names.includes(bare));
      assert.ok(!names.includes(`${instance}-partial`));
      assert.ok(names.includes(`${instance}-dup`));
    });

    test('exec resolves to the exit code and the output', async () => {
      await driver.runContainer(runSpec('exec'));
      assert.deepEqual(await driver.exec(`${instance}-exec`, ['true'], 10_000), { exitCode: 0, output: '' });
      assert.deepEqual(await driver.exec(`${instance}-exec`, ['sh', '-c', 'exit 3'], 10_000), {
        exitCode: 3,
        output: '',
      });
      assert.deepEqual(
        await driver.exec(`${instance}-exec`, ['sh', '-c', 'echo dumped 2 rows; exit 4'], 10_000),
        {
          exitCode: 4,
          output: 'dumped 2 rows',
        },
      );
    });

    test('imageExists', async () => {
      assert.equal(await driver.imageExists(BUSYBOX_IMAGE), true);
      assert.equal(await driver.imageExists(`localhost/hiy/not-there:${instance}`), false);
    });

    test('ensureNetwork creates the labelled network once, closed to other networks, and names its subnet', async () => {
      const name = `hiy-${instance}`;
      const subnet = await driver.ensureNetwork(name, owned);
      assert.match(subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
      assert.equal(await driver.ensureNetwork(name, owned), subnet, 'a second call finds it');
      const internal = await driver.ensureNetwork(`${name}.link`, owned, true);
      assert.match(internal, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
      if (subject.real) {
        const rules = (await execa('iptables', ['-S', 'CNI-ADMIN'])).stdout.split('\n');
        assert.equal(rules.filter((r) => r.includes(`"hiy closed ${name}"`)).length, 1, 'closed once');
        const link = await execa('podman', [
          'network',
          'inspect',
          '--format',
          '{{.Internal}}',
          `${name}.link`,
        ]);
        assert.equal(link.stdout.trim(), 'true', 'an internal network: no route to it, never closed');
        assert.ok(!rules.some((r) => r.includes(`${name}.link`)));
      }
      await driver.runContainer(runSpec('netted', { network: { name, aliases: ['netted'] } }));
      assert.equal((await findOwned('netted'))?.state, 'running');
    });

    test('a container on its own network and a link network: its published port reaches it', async () => {
      // Podman gives the published ports to every network whose config has the portmap plugin, and the first DNAT
      // wins; the host has no route into an internal link network, so link networks lose that plugin (design.md).
      const prefix = `hiy-${instance}`;
      const own = ownNetwork(prefix, 'port/pub');
      const link = linkNetwork(prefix, 'app/a', 'port/pub');
      await driver.ensureNetwork(own, owned);
      await driver.ensureNetwork(link, owned, true);
      const port = await freePort();
      const token = `published-${instance}`;
      await driver.runContainer(
        runSpec('pub', {
          entrypoint: ['/bin/sh', '-c', `mkdir -p /w && echo ${token} > /w/t && exec httpd -f -p 8080 -h /w`],
          publish: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 8080, protocol: 'tcp' }],
          network: { name: own, aliases: [], links: [{ name: link }] },
        }),
      );
      if (subject.real) {
        const body = await waitFor(
          async () => {
            const r = await fetch(`http://127.0.0.1:${port}/t`).catch(() => undefined);
            return r?.status === 200 ? (await r.text()).trim() : undefined;
          },
          { what: 'the published port to answer', timeoutMs: 30_000 },
        );
        assert.equal(body, token, 'the host port forwards to the container, not past it');
        if (process.getuid?.() === 0) {
          // One forwarding of the port, on the own network: the link network's config has no portmap plugin (the
          // order Podman sets networks up in varies under load, and a DNAT to the link address would come first).
          const nat = await execa('iptables', ['-w', '10', '-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT']);
          const forwards = nat.stdout.split('\n').filter((l) => l.includes(`--dports ${port} `));
          assert.equal(forwards.length, 1, nat.stdout);
          assert.ok(forwards[0]!.includes(`dnat name: \\"${own}\\"`), forwards[0]);
        }
      }
    });

    test('inspectImage: the id and labels in one call, undefined when absent', async () => {
      const before = driver.calls;
      const info = await driver.inspectImage(BUSYBOX_IMAGE);
      assert.equal(driver.calls, before + 1);
      assert.match(info?.id ?? '', /^[0-9a-f]{64}$/);
      assert.equal(typeof info?.labels, 'object');
      assert.equal(await driver.inspectImage(`localhost/hiy/not-there:${instance}`), undefined);
    });

    test('inspectImages: several images in one call, in the order asked, undefined for the absent', async () => {
      const absent = [`localhost/hiy/not-there:${instance}-a`, `localhost/hiy/not-there:${instance}-b`];
      const before = driver.calls;
      const infos = await driver.inspectImages!([absent[0]!, BUSYBOX_IMAGE, absent[1]!, BUSYBOX_IMAGE]);
      assert.equal(driver.calls, before + 1);
      assert.deepEqual([...infos.keys()], [absent[0], BUSYBOX_IMAGE, absent[1]]);
      assert.equal(infos.get(BUSYBOX_IMAGE)?.id, (await driver.inspectImage(BUSYBOX_IMAGE))?.id);
      assert.equal(infos.get(absent[0]!), undefined);
      assert.equal(infos.get(absent[1]!), undefined);
    });

    test('buildImage streams its output and the image then exists', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hiy-build-'));
      try {
        const file = join(dir, 'Containerfile');
        await writeFile(file, `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /built\n`);
        const tag = `localhost/hiy-test/${instance}:1`;
        const lines: string[] = [];
        const before = driver.calls;
        await driver.buildImage({ contextDir: dir, file, tag, labels: owned }, (l) => lines.push(l));
        assert.equal(driver.calls, before + 1);
        assert.ok(lines.length >= 2, 'build output is streamed line by line');
        assert.ok(lines.some((l) => l.includes(tag)));
        assert.ok(lines.every((l) => !l.includes('\n')));
        assert.equal(await driver.imageExists(tag), true);
        const info = await driver.inspectImage(tag);
        assert.equal(info?.labels[LABEL_INSTANCE], instance, 'build labels are read back by inspectImage');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("a volume's mountpoint is the host directory that holds its files", async () => {
      const name = `${instance}-mounted`;
      await driver.createVolume(name, owned);
      await subject.putVolumeFiles(name, { 'a.txt': 'alpha', 'sub/b.txt': 'beta' });
      const [vol] = (await driver.listVolumes(owned)).filter((v) => v.name === name);
      assert.ok(vol, 'the volume is listed');
      assert.equal(await readFile(join(vol.mountpoint, 'a.txt'), 'utf8'), 'alpha');
      assert.equal(await readFile(join(vol.mountpoint, 'sub/b.txt'), 'utf8'), 'beta');
      await driver.removeVolume(name);
    });

    test('a volume exported and imported into a new volume has the same files', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hiy-export-'));
      try {
        const source = `${instance}-export-src`;
        const target = `${instance}-export-dst`;
        await driver.createVolume(source, owned);
        await driver.createVolume(target, owned);
        await subject.putVolumeFiles(source, { 'a.txt': 'alpha', 'sub/b.txt': 'beta' });
        const file = join(dir, 'archive.tar');
        await driver.exportVolume(source, file);
        await driver.importVolume(target, file);
        assert.equal(await subject.readVolumeFile(target, 'a.txt'), 'alpha');
        assert.equal(await subject.readVolumeFile(target, 'sub/b.txt'), 'beta');
        await assert.rejects(driver.exportVolume(`${instance}-absent`, join(dir, 'x.tar')), PodmanError);
        await assert.rejects(driver.importVolume(target, join(dir, 'absent.tar')), PodmanError);
        await driver.removeVolume(source);
        await driver.removeVolume(target);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("a volume's files are counted and emptied on the host as its containers wrote them", async () => {
      const name = `${instance}-files`;
      await driver.createVolume(name, owned);
      await subject.putVolumeFiles(name, { 'a.txt': 'alpha', 'sub/deep/b.txt': 'beta' });
      const [vol] = (await driver.listVolumes(owned)).filter((v) => v.name === name);
      assert.ok(vol, 'the volume is listed');
      assert.deepEqual(await driver.countVolumeFiles(vol.mountpoint), { files: 2, bytes: 9, entries: 2 });
      await driver.emptyVolumeFiles(vol.mountpoint);
      assert.deepEqual(await driver.countVolumeFiles(vol.mountpoint), { files: 0, bytes: 0, entries: 0 });
      await driver.removeVolume(name);
    });

    test('secrets: created from a value, listed by every label, a taken name fails, removal of none is fine', async () => {
      const name = `${instance}-web.TOKEN.0123456789abcdef`;
      await driver.createSecret(name, 'v4lue', { ...owned, [LABEL_RESOURCE]: 'port/web' });
      const listed = await driver.listSecrets(owned);
      assert.deepEqual(
        listed.map((s) => [s.name, s.labels[LABEL_RESOURCE]]),
        [[name, 'port/web']],
      );
      assert.ok(!JSON.stringify(listed).includes('v4lue'), 'a listing never holds the value');
      assert.deepEqual(await driver.listSecrets({ ...owned, [LABEL_INSTANCE]: 'other' }), []);
      const taken = await driver.createSecret(name, 'x', owned).catch((e: unknown) => e);
      assert.ok(taken instanceof PodmanError);
      assert.match(taken.data.stderr ?? '', /secret name in use/);
      const missing = await driver
        .runContainer(runSpec('nosecret', { secretEnv: [{ env: 'TOKEN', secret: `${instance}-absent` }] }))
        .catch((e: unknown) => e);
      assert.ok(missing instanceof PodmanError);
      assert.match(missing.message, /no such secret/);
      // No entrypoint: the real driver reads the image's own command to run it behind the secret shim.
      await driver.runContainer(
        runSpec('withsecret', {
          entrypoint: undefined,
          args: ['sleep', '30'],
          secretEnv: [{ env: 'TOKEN', secret: name }],
        }),
      );
      assert.equal((await findOwned('withsecret'))?.state, 'running');
      await driver.removeContainer(`${instance}-withsecret`, 0);
      await driver.removeSecret(name);
      await driver.removeSecret(name);
      assert.deepEqual(await driver.listSecrets(owned), []);
    });

    test('logs: what the container printed, --tail, and -f streams until aborted', async () => {
      const name = `${instance}-talk`;
      await driver.runContainer(
        runSpec('talk', {
          entrypoint: ['sh', '-c', 'echo one; echo two; echo three; sleep 1; echo four; sleep 600'],
        }),
      );
      subject.print(name, ['one', 'two', 'three']);
      await waitFor(
        async () => {
          const { out, sink } = collect();
          await driver.logs(name, {}, sink);
          return out.stdout.includes('three');
        },
        { timeoutMs: 20_000 },
      );
      const tail = collect();
      await driver.logs(name, { tail: 2 }, tail.sink);
      assert.equal(tail.out.stdout, 'two\nthree\n');
      const followed = collect();
      const abort = new AbortController();
      const following = driver.logs(name, { follow: true, signal: abort.signal }, followed.sink);
      subject.print(name, ['four']);
      await waitFor(async () => followed.out.stdout.includes('four'), { timeoutMs: 20_000 });
      abort.abort();
      await following;
      await assert.rejects(driver.logs(`${instance}-nobody`, {}, collect().sink), PodmanError);
    });

    test('execAttached passes output and exit code; through the shim it sees secretEnv', async () => {
      const secret = `${instance}-sh.TOKEN.0123456789abcdef`;
      await driver.createSecret(secret, 's3cret', { ...owned, [LABEL_RESOURCE]: 'port/sh' });
      const name = `${instance}-sh`;
      await driver.runContainer(
        runSpec('sh', { entrypoint: ['sleep', '600'], secretEnv: [{ env: 'TOKEN', secret }] }),
      );
      const plain = collect();
      assert.equal(await driver.execAttached(name, ['env'], { output: plain.sink }), 0);
      assert.match(plain.out.stdout, /^GREETING=hello$/m);
      assert.doesNotMatch(plain.out.stdout, /TOKEN/);
      const shimmed = collect();
      const code = await driver.execAttached(name, ['env'], {
        output: shimmed.sink,
        secretShim: true,
      });
      assert.equal(code, 0);
      assert.match(shimmed.out.stdout, /^TOKEN=s3cret$/m);
      assert.match(shimmed.out.stdout, /^GREETING=hello$/m);
      assert.equal(await driver.execAttached(name, ['sh', '-c', 'exit 3'], { output: collect().sink }), 3);
      await assert.rejects(
        driver.execAttached(`${instance}-nobody`, ['true'], { output: collect().sink }),
        PodmanError,
      );
      await driver.removeContainer(name, 0);
      await driver.removeSecret(secret);
    });

    test('runOneOff: output, exit code, secrets, and nothing left behind', async () => {
      const secret = `${instance}-once.TOKEN.0123456789abcdef`;
      await driver.createSecret(secret, 'once-value', { ...owned, [LABEL_RESOURCE]: 'port/once' });
      const spec = (suffix: string, entrypoint: string[]) =>
        runSpec(`once-${suffix}`, {
          labels: { [LABEL_INSTANCE]: instance, 'hiy.one-off': 'run' },
          entrypoint,
          secretEnv: [{ env: 'TOKEN', secret }],
        });
      const printed = collect();
      assert.equal(await driver.runOneOff(spec('a', ['env']), { output: printed.sink }), 0);
      assert.match(printed.out.stdout, /^TOKEN=once-value$/m);
      assert.equal(await driver.runOneOff(spec('b', ['sh', '-c', 'exit 7']), { output: collect().sink }), 7);
      const left = (await driver.listContainers({ [LABEL_INSTANCE]: instance })).filter((c) =>
        c.name.includes('-once-'),
      );
      assert.deepEqual(left, []);
      await assert.rejects(
        driver.runOneOff(
          { ...spec('c', ['true']), image: `localhost/hiy/not-there:${instance}` },
          { output: collect().sink },
        ),
        PodmanError,
      );
      await driver.removeSecret(secret);
    });

    test('one call per operation', async () => {
      const before = driver.calls;
      await driver.listContainers(owned);
      await driver.listVolumes(owned);
      assert.equal(driver.calls, before + 2);
    });
  });
}

contract('PodmanCli (real podman)', async () => {
  await ensureBusyboxImage();
  return {
    driver: new PodmanCli({ timeoutMs: 60_000 }),
    real: true,
    async cleanup(instance, names) {
      if (names.length > 0) await execa('podman', ['rm', '-f', '-t', '0', '--ignore', ...names]);
      await cleanupInstance(instance);
    },
    async putVolumeFiles(volume, files) {
      for (const [path, text] of Object.entries(files)) {
        // Paths and contents are passed as arguments of the script, never interpolated into it.
        await execa('podman', [
          'run',
          '--rm',
          '--pull=never',
          '-v',
          `${volume}:/v`,
          BUSYBOX_IMAGE,
          'sh',
          '-c',
          'mkdir -p "$(dirname "/v/$1")" && printf %s "$2" > "/v/$1"',
          'sh',
          path,
          text,
        ]);
      }
    },
    print() {},
    async readVolumeFile(volume, path) {
      const r = await execa('podman', [
        'run',
        '--rm',
        '--pull=never',
        '-v',
        `${volume}:/v`,
        BUSYBOX_IMAGE,
        'cat',
        `/v/${path}`,
      ]);
      return String(r.stdout);
    },
    async pause(name) {
      await execa('podman', ['pause', name]);
    },
  };
});

contract('FakePodman', async () => {
  const fake = new FakePodman();
  fake.addImage(BUSYBOX_IMAGE);
  return {
    driver: fake,
    real: false,
    cleanup: async () => {},
    async putVolumeFiles(volume, files) {
      for (const [path, text] of Object.entries(files)) fake.writeVolumeFile(volume, path, text);
    },
    async readVolumeFile(volume, path) {
      return fake.readVolumeFile(volume, path)?.toString('utf8') ?? '';
    },
    print: (container, lines) => fake.print(container, ...lines),
    pause: async (name) => fake.setContainerState(name, 'paused'),
  };
});

describe('PodmanCli without podman', () => {
  test('a missing binary is a clear PodmanError', async () => {
    const cli = new PodmanCli({ binary: 'podman-not-installed-here' });
    const err = await cli.listContainers({}).catch((e: unknown) => e);
    assert.ok(err instanceof PodmanError);
    assert.match(err.message, /podman is not installed or not on PATH/);
  });
});

describe('FakePodman unreachable', () => {
  test('every call fails', async () => {
    const fake = new FakePodman();
    fake.unreachable = true;
    await assert.rejects(fake.listContainers({}), PodmanError);
    await assert.rejects(fake.listVolumes({}), PodmanError);
    await assert.rejects(fake.imageExists(BUSYBOX_IMAGE), PodmanError);
  });
});
