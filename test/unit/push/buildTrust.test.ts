// What a generated build takes from the box: its CA bundle, its own certificates, Maven's proxy, into .hiy-build/.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { summarizeContext, writeBuildTrust } from '../../../src/push/buildSupport.js';

describe('writeBuildTrust and summarizeContext', () => {
  const dirs: string[] = [];
  const temp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'hiy-unit-trust-'));
    dirs.push(d);
    return d;
  };
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("copies the bundle (SSL_CERT_FILE first) and the box's own certificates; a proxy gives Maven settings", async () => {
    const box = await temp();
    const ctx = await temp();
    await writeFile(join(box, 'bundle.pem'), 'BUNDLE');
    await writeFile(join(box, 'mine.pem'), 'MINE');
    await mkdir(join(box, 'extra', 'corp'), { recursive: true });
    await writeFile(join(box, 'extra', 'corp', 'root.crt'), 'ROOT');
    const trust = await writeBuildTrust(
      ctx,
      { SSL_CERT_FILE: join(box, 'mine.pem'), https_proxy: 'http://proxy:3128' },
      { caBundle: join(box, 'bundle.pem'), extraCertsDir: join(box, 'extra') },
    );
    assert.deepEqual(trust, {
      caBundle: '.hiy-build/ca-certificates.crt',
      extraCerts: ['.hiy-build/extra-0.crt'],
      mavenSettings: '.hiy-build/maven-settings.xml',
    });
    assert.equal(await readFile(join(ctx, '.hiy-build', 'ca-certificates.crt'), 'utf8'), 'MINE');
    assert.equal(await readFile(join(ctx, '.hiy-build', 'extra-0.crt'), 'utf8'), 'ROOT');
    const none = await writeBuildTrust(
      await temp(),
      {},
      { caBundle: join(box, 'absent'), extraCertsDir: join(box, 'absent') },
    );
    assert.deepEqual(none, { extraCerts: [] });
  });

  it('lists the deeper paths detection needs and reads the known files', async () => {
    const ctx = await temp();
    await mkdir(join(ctx, 'vendor', 'cache'), { recursive: true });
    await mkdir(join(ctx, 'public'), { recursive: true });
    await writeFile(join(ctx, 'public', 'index.php'), '<?php');
    await writeFile(join(ctx, 'Gemfile'), "gem 'rack'\n");
    const s = await summarizeContext(ctx);
    assert.deepEqual(s.entries.sort(), [
      'Gemfile',
      'public/',
      'public/index.php',
      'vendor/',
      'vendor/cache/',
    ]);
    assert.deepEqual(s.texts, { Gemfile: "gem 'rack'\n" });
    assert.deepEqual((await readdir(ctx)).sort(), ['Gemfile', 'public', 'vendor']);
  });
});
