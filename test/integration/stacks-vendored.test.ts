// git push of apps whose dependencies are committed, built with no network: Maven with a local repository
// (.m2/repository, made here from Debian's /usr/share/maven-repo) and PHP with Composer's vendor/. Two pushes
// of the Maven app leave one build-stage image of it, and the dependency layers stay cached.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { git, type Harness, makeRepo, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const STACK_IMAGES = new URL('../../images/runtime/debian.sh', import.meta.url).pathname;
const JAVA_BUILD_IMAGE = 'localhost/hiy/java-build:17';
const PHP_BUILD_IMAGE = 'localhost/hiy/php-build:8.2';
const APPS = ['maven', 'composer'];

function app(name: string): string {
  return `apiVersion: hiy/v1
kind: App
metadata:
  name: ${name}
spec:
  source:
    repo: ${name}
    branch: main
  routes:
    - host: ${name}.test
      port: 8080
  stopGracePeriod: 1s
`;
}

/**
 * A pom.xml using commons-lang3, with the versions of the plugins Debian ships (a project built offline pins
 * them, as the local repository holds those only) and shade making one runnable jar.
 */
const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>app</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-lang3</artifactId>
      <version>3.12.0</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.0</version></plugin>
      <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.10.1</version></plugin>
      <plugin><artifactId>maven-surefire-plugin</artifactId><version>2.22.3</version></plugin>
      <plugin><artifactId>maven-jar-plugin</artifactId><version>3.3.0</version></plugin>
      <plugin>
        <artifactId>maven-shade-plugin</artifactId>
        <version>3.4.1</version>
        <executions>
          <execution>
            <phase>package</phase>
            <goals><goal>shade</goal></goals>
            <configuration>
              <transformers>
                <transformer implementation="org.apache.maven.plugins.shade.resource.ManifestResourceTransformer">
                  <mainClass>example.Main</mainClass>
                </transformer>
              </transformers>
            </configuration>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
`;

/** Maven resolves from Debian's repository as if it were Maven Central (id `central`, so `mvn -o` trusts it). */
const DEBIAN_REPO_SETTINGS = `<settings><mirrors><mirror><id>central</id><mirrorOf>*</mirrorOf>
<url>file:///usr/share/maven-repo</url></mirror></mirrors></settings>
`;

const javaMain = (text: string) => `package example;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import org.apache.commons.lang3.StringUtils;

public class Main {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(System.getenv("PORT"))), 0);
    server.createContext("/", exchange -> {
      byte[] body = (StringUtils.capitalize("${text}") + "\\n").getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }
}
`;

/** Runs a command in a stack image with no network, the directory mounted at /app. */
async function offline(image: string, dir: string, argv: string[], mounts: string[] = []): Promise<void> {
  const r = await execa(
    'podman',
    [
      'run',
      '--rm',
      '--pull=never',
      '--network=none',
      '-v',
      `${dir}:/app`,
      ...mounts,
      '-w',
      '/app',
      image,
      ...argv,
    ],
    { reject: false, all: true },
  );
  assert.equal(r.exitCode, 0, `${argv.join(' ')} in ${image}: ${r.all}`);
}

/** The App's build-stage images left on the box (dangling, labelled as its by HIY). */
async function buildStages(instance: string, app: string): Promise<string[]> {
  const { stdout } = await execa('podman', [
    'images',
    '--no-trunc',
    '--filter',
    'dangling=true',
    '--format',
    'json',
  ]);
  const images = JSON.parse(stdout || '[]') as { Id: string; Labels?: Record<string, string> | null }[];
  return images
    .filter(
      (i) =>
        i.Labels?.['hiy.instance'] === instance &&
        i.Labels['hiy.resource'] === `app/${app}` &&
        i.Labels['hiy.build-stage'] === 'true',
    )
    .map((i) => i.Id);
}

describe('git push of apps with committed dependencies, built offline', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let work: string;

  async function push(dir: string, repo: string) {
    const started = Date.now();
    const r = await sshd.git(alice, dir, ['push', '--porcelain', sshd.url(repo), 'main']);
    return { ...r, ms: Date.now() - started };
  }

  before(async () => {
    for (const image of ['java-build', 'java', 'php', 'php-build']) await execa(STACK_IMAGES, [image]);
    sshd = await startSshd();
    alice = await sshd.newKey('alice');
    h = await startHarness({
      'users.yaml': userYaml(
        'alice',
        alice,
        APPS.map((a) => ({ app: a, role: 'deploy' as const })),
      ),
      'apps.yaml': APPS.map(app).join('---\n'),
    });
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], {
      HIY_SELF: JSON.stringify(testSelfCommand()),
    });
    assert.equal(r.code, 0, r.err);
    work = join(h.root, 'work');
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup(); // containers, volumes and the images built for this instance, build stages included
  });

  it('Maven with .m2/repository: mvn -o; a second push reuses the dependency layers and leaves one build stage', async () => {
    const dir = join(work, 'maven');
    await makeRepo(dir, {
      'pom.xml': POM,
      'src/main/java/example/Main.java': javaMain('maven v1'),
      '.gitignore': 'target/\n',
    });
    // What a developer does once with network (mvn -Dmaven.repo.local=.m2/repository package), from Debian's
    // repository instead of Maven Central.
    const settings = join(h.root, 'maven-settings.xml');
    await writeFile(settings, DEBIAN_REPO_SETTINGS);
    await offline(
      JAVA_BUILD_IMAGE,
      dir,
      [
        'mvn',
        '-B',
        '-q',
        '-s',
        '/settings.xml',
        '-Dmaven.repo.local=/app/.m2/repository',
        'package',
        '-DskipTests',
      ],
      ['-v', `${settings}:/settings.xml:ro`],
    );
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-qm', 'vendored Maven repository']);

    const first = await push(dir, 'maven');
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /detected Java, Maven \(pom\.xml, offline from \.m2\/repository\), java -jar app\.jar/,
    );
    assert.equal((await h.get('maven.test')).body.trim(), 'Maven v1');
    const times = [first.ms];
    for (const v of ['v2']) {
      await writeFile(join(dir, 'src/main/java/example/Main.java'), javaMain(`maven ${v}`));
      await git(dir, ['commit', '-qam', `source only: ${v}`]);
      const next = await push(dir, 'maven');
      assert.equal(next.code, 0, next.stderr);
      times.push(next.ms);
      assert.equal((await h.get('maven.test')).body.trim(), `Maven ${v}`);
      // The manifests and the local repository come from the layer cache: only the source is built again.
      assert.match(next.stderr, /STEP \d+\/\d+: COPY \.m2 \.m2\s*\n(remote: .*\n)?remote: .*--> Using cache/);
      assert.match(next.stderr, /removed 1 old build-stage image \(the layer cache stays\)/);
    }
    const stages = await buildStages(h.instance, 'maven');
    assert.equal(stages.length, 1, `build stages left after 2 pushes: ${stages.join(', ')}`);
    console.log(
      `maven pushes: ${times.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}; build stages left: 1`,
    );
  });

  it("PHP with Composer's vendor/ committed: no composer install, served through Caddy", async () => {
    const dir = join(work, 'composer');
    await makeRepo(dir, {
      'composer.json': `${JSON.stringify(
        {
          require: { 'acme/greeting': '1.0.0' },
          repositories: [
            { type: 'path', url: 'packages/greeting', options: { symlink: false } },
            { 'packagist.org': false },
          ],
        },
        null,
        2,
      )}\n`,
      'packages/greeting/composer.json': `${JSON.stringify({
        name: 'acme/greeting',
        version: '1.0.0',
        autoload: { 'psr-4': { 'Acme\\Greeting\\': 'src/' } },
      })}\n`,
      'packages/greeting/src/Greeting.php':
        "<?php\nnamespace Acme\\Greeting;\n\nfinal class Greeting\n{\n    public static function text(): string\n    {\n        return 'hello from a vendored package';\n    }\n}\n",
      'index.php':
        '<?php\nrequire __DIR__ . \'/vendor/autoload.php\';\necho \\Acme\\Greeting\\Greeting::text(), "\\n";\n',
    });
    // What a developer does once with network: composer install, vendor/ committed.
    await offline(
      PHP_BUILD_IMAGE,
      dir,
      ['composer', 'install', '--no-interaction', '--no-progress'],
      ['-e', 'COMPOSER_HOME=/tmp/composer', '-e', 'COMPOSER_ALLOW_SUPERUSER=1'],
    );
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-qm', 'vendored Composer packages']);
    const r = await push(dir, 'composer');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /detected PHP \(composer\.json, vendor\/ committed\), php -S/);
    assert.doesNotMatch(r.stderr, /composer install/);
    const got = await h.get('composer.test');
    assert.equal(got.status, 200);
    assert.equal(got.body.trim(), 'hello from a vendored package');
  });
});
