// Exact argv of every Podman builder.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildArgv,
  danglingImagesArgv,
  execArgv,
  hasLabels,
  imageExistsArgv,
  imageInspectArgv,
  psArgv,
  redactArgv,
  renameArgv,
  rmArgv,
  runArgv,
  SECRET_SHIM_SCRIPT,
  startArgv,
  stopArgv,
  volumeCreateArgv,
  volumeExportArgv,
  volumeImportArgv,
  volumeLsArgv,
  volumeRmArgv,
} from '../../../../src/drivers/podman/argv.js';
import { parseDanglingImages } from '../../../../src/drivers/podman/output.js';
import type { RunSpec } from '../../../../src/drivers/podman/types.js';

const labels = { 'hiy.managed-by': 'hiy', 'hiy.instance': 'main' };

describe('argv builders', () => {
  test('psArgv filters by every label, keys sorted', () => {
    assert.deepEqual(psArgv(labels), [
      'ps',
      '-a',
      '--format',
      'json',
      '--filter',
      'label=hiy.instance=main',
      '--filter',
      'label=hiy.managed-by=hiy',
    ]);
    assert.deepEqual(psArgv({}), ['ps', '-a', '--format', 'json']);
  });

  test('volume ls / create / rm', () => {
    assert.deepEqual(volumeLsArgv(labels), [
      'volume',
      'ls',
      '--format',
      'json',
      '--filter',
      'label=hiy.instance=main',
      '--filter',
      'label=hiy.managed-by=hiy',
    ]);
    assert.deepEqual(volumeCreateArgv('greeter-data', { ...labels, 'hiy.volume': 'data' }), [
      'volume',
      'create',
      '--label',
      'hiy.instance=main',
      '--label',
      'hiy.managed-by=hiy',
      '--label',
      'hiy.volume=data',
      'greeter-data',
    ]);
    assert.deepEqual(volumeRmArgv('greeter-data'), ['volume', 'rm', 'greeter-data']);
  });

  test('runArgv with every option', () => {
    const spec: RunSpec = {
      name: 'hiy-greeter-1',
      image: 'localhost/example/web:1',
      labels: { 'hiy.resource': 'port/greeter', ...labels },
      env: { ZED: 'last', ALPHA: 'a=b c' },
      entrypoint: ['/bin/httpd', '-f'],
      args: ['-p', '8080', '-h', '/www'],
      volumes: [
        { source: 'greeter-data', target: '/data', readOnly: false },
        { source: '/etc/hiy/cfg', target: '/cfg', readOnly: true },
      ],
      publish: [
        { hostIp: '127.0.0.1', hostPort: 18080, containerPort: 8080, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp' },
        { hostIp: '::1', hostPort: 18081, containerPort: 8081, protocol: 'tcp' },
      ],
      restart: 'unless-stopped',
      memoryBytes: 268435456,
      cpus: 0.5,
      stopTimeoutSeconds: 10,
    };
    assert.deepEqual(runArgv(spec), [
      'run',
      '-d',
      '--pull=never',
      '--name',
      'hiy-greeter-1',
      '--label',
      'hiy.instance=main',
      '--label',
      'hiy.managed-by=hiy',
      '--label',
      'hiy.resource=port/greeter',
      '--env',
      'ALPHA=a=b c',
      '--env',
      'ZED=last',
      '--entrypoint',
      '["/bin/httpd","-f"]',
      '-v',
      'greeter-data:/data',
      '-v',
      '/etc/hiy/cfg:/cfg:ro',
      '-p',
      '127.0.0.1:18080:8080/tcp',
      '-p',
      '5353:53/udp',
      '-p',
      '[::1]:18081:8081/tcp',
      '--restart',
      'unless-stopped',
      '--memory',
      '268435456',
      '--cpus',
      '0.5',
      '--stop-timeout',
      '10',
      'localhost/example/web:1',
      '-p',
      '8080',
      '-h',
      '/www',
    ]);
  });

  test('runArgv minimal: no entrypoint, limits or args', () => {
    assert.deepEqual(
      runArgv({
        name: 'n',
        image: 'img',
        labels: {},
        env: {},
        volumes: [],
        publish: [],
        restart: 'no',
        stopTimeoutSeconds: 0,
      }),
      ['run', '-d', '--pull=missing', '--name', 'n', '--restart', 'no', '--stop-timeout', '0', 'img'],
    );
  });

  test('redactArgv hides env values only', () => {
    assert.deepEqual(redactArgv(['run', '--env', 'TOKEN=s3cr=et', '--label', 'a=b', 'img']), [
      'run',
      '--env',
      'TOKEN=<redacted>',
      '--label',
      'a=b',
      'img',
    ]);
  });

  test('container lifecycle builders', () => {
    assert.deepEqual(startArgv('c'), ['start', 'c']);
    assert.deepEqual(stopArgv('c', 10), ['stop', '-t', '10', 'c']);
    assert.deepEqual(rmArgv('c', 0), ['rm', '-f', '-t', '0', '--ignore', 'c']);
    assert.deepEqual(renameArgv('c', 'c-old'), ['rename', 'c', 'c-old']);
    assert.deepEqual(imageExistsArgv('localhost/x:1'), ['image', 'exists', 'localhost/x:1']);
    assert.deepEqual(execArgv('c', ['sh', '-c', 'exit 3']), ['exec', 'c', 'sh', '-c', 'exit 3']);
  });

  test('imageInspectArgv: one JSON line of the image', () => {
    assert.deepEqual(imageInspectArgv('localhost/x:1').slice(0, 3), ['image', 'inspect', '--format']);
    assert.equal(imageInspectArgv('localhost/x:1').at(-1), 'localhost/x:1');
  });

  test('buildArgv with and without limits', () => {
    assert.deepEqual(
      buildArgv({
        contextDir: '/src',
        file: '/src/Containerfile',
        tag: 'localhost/hiy/app:abc',
        labels: { 'hiy.commit': 'abc', ...labels },
        memoryBytes: 1073741824,
        cpus: 1.5,
      }),
      [
        'build',
        '--layers',
        '-t',
        'localhost/hiy/app:abc',
        '-f',
        '/src/Containerfile',
        '--label',
        'hiy.commit=abc',
        '--label',
        'hiy.instance=main',
        '--label',
        'hiy.managed-by=hiy',
        '--memory',
        '1073741824',
        '--cpu-period',
        '100000',
        '--cpu-quota',
        '150000',
        '/src',
      ],
    );
    assert.deepEqual(buildArgv({ contextDir: '.', file: './Dockerfile', tag: 't', labels: {} }), [
      'build',
      '--layers',
      '-t',
      't',
      '-f',
      './Dockerfile',
      '.',
    ]);
  });

  test('hasLabels requires every key=value', () => {
    assert.equal(hasLabels({ a: '1', b: '2' }, { a: '1' }), true);
    assert.equal(hasLabels({ a: '1' }, { a: '1', b: '2' }), false);
    assert.equal(hasLabels({ a: '2' }, { a: '1' }), false);
    assert.equal(hasLabels({}, {}), true);
  });
});

describe('volume export and import argv', () => {
  test('volumeExportArgv writes the tar to the given file', () => {
    assert.deepEqual(volumeExportArgv('hiy-x-data', '/d/snap/archive.tar.partial'), [
      'volume',
      'export',
      'hiy-x-data',
      '--output',
      '/d/snap/archive.tar.partial',
    ]);
  });
  test('volumeImportArgv names the volume then the file', () => {
    assert.deepEqual(volumeImportArgv('hiy-x-data', '/d/snap/archive.tar'), [
      'volume',
      'import',
      'hiy-x-data',
      '/d/snap/archive.tar',
    ]);
  });
});

describe('secretEnv argv', () => {
  test('runArgv mounts secrets as files and wraps the command in the shim; no value, no --env', () => {
    const argv = runArgv(
      {
        name: 'hiy-web',
        image: 'localhost/x:1',
        labels: {},
        env: { MODE: 'prod' },
        secretEnv: [{ env: 'DB_PASSWORD', secret: 'hiy-web.DB_PASSWORD.0123456789abcdef' }],
        args: ['-p', '80'],
        volumes: [],
        publish: [],
        restart: 'no',
        stopTimeoutSeconds: 1,
      },
      { shimBinary: '/bin/busybox', imageCommand: { entrypoint: ['/init'], cmd: ['--default'] } },
    );
    assert.deepEqual(argv.slice(argv.indexOf('--env')), [
      '--env',
      'MODE=prod',
      '--secret',
      'hiy-web.DB_PASSWORD.0123456789abcdef,type=mount,target=/run/secrets/hiy-env/DB_PASSWORD',
      '-v',
      '/bin/busybox:/run/hiy/busybox:ro',
      '--entrypoint',
      JSON.stringify(['/run/hiy/busybox', 'sh', '-c', SECRET_SHIM_SCRIPT, 'hiy-secrets']),
      '--restart',
      'no',
      '--stop-timeout',
      '1',
      'localhost/x:1',
      '/init',
      '-p',
      '80',
    ]);
  });
});

describe('dangling images', () => {
  test('listed without label filters (Podman 4.3.1 ORs them), matched on every label', () => {
    assert.deepEqual(danglingImagesArgv(), [
      'images',
      '--no-trunc',
      '--filter',
      'dangling=true',
      '--format',
      'json',
    ]);
    const text = JSON.stringify([
      { Id: 'sha256:aaa', Labels: { 'hiy.resource': 'app/a', 'hiy.build-stage': 'true' } },
      { Id: 'bbb', Labels: { 'hiy.resource': 'app/b', 'hiy.build-stage': 'true' } },
      { Id: 'ccc', Labels: null },
    ]);
    assert.deepEqual(parseDanglingImages(text, { 'hiy.resource': 'app/a', 'hiy.build-stage': 'true' }), [
      'aaa',
    ]);
    assert.deepEqual(parseDanglingImages('', { k: 'v' }), []);
  });
});
