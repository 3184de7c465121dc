// The generated Containerfiles of the Go, Ruby, Java and PHP stacks, and what every build takes from the box.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mavenProxySettings } from '../../../src/push/mavenProxy.js';
import { type BuildTrust, generateContainerfile } from '../../../src/push/stacks/index.js';
import { IMAGES } from './stackImages.js';

const TRUST: BuildTrust = {
  caBundle: '.hiy-build/ca-certificates.crt',
  extraCerts: ['.hiy-build/extra-0.crt'],
  mavenSettings: '.hiy-build/maven-settings.xml',
};

/** The stages of a Containerfile: the text from each FROM to the next. */
function stages(text: string): string[] {
  return text.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
}

describe('generated builds of Go, Ruby, Java and PHP', () => {
  it('Go: go build in the builder, the static binary alone on busybox as nobody', () => {
    const g = generateContainerfile(
      {
        entries: ['go.mod', 'go.sum', 'main.go'],
        texts: { 'go.mod': 'module x\n\ngo 1.19\n\nrequire a.b/c v1.0.0\n' },
      },
      IMAGES,
      undefined,
      'api',
    );
    assert.equal(g.stack, 'go');
    assert.equal(g.reason, 'Go (go.mod), the built binary');
    const [build, runtime] = stages(g.text);
    assert.match(build!, /^FROM go-build AS build$/m);
    assert.match(
      build!,
      /^COPY go\.mod go\.sum \.\/\nRUN go mod download\nCOPY \. \.\nRUN --mount=type=cache,id=hiy-go-build-api,target=\/root\/\.cache\/go-build go build .*-o \/out\/app \.$/m,
    );
    assert.match(build!, /^ENV CGO_ENABLED=0$/m);
    assert.equal(
      runtime,
      `FROM localhost/hiy/busybox:latest
WORKDIR /app
ENV HOME=/tmp PORT=8080
USER 65534:65534
EXPOSE 8080
CMD ["/app/app"]
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/app /app/app
`,
    );
    // A stdlib-only module downloads nothing.
    const stdlib = generateContainerfile(
      { entries: ['go.mod', 'main.go'], texts: { 'go.mod': 'module x\n' } },
      IMAGES,
    );
    assert.doesNotMatch(stdlib.text, /go mod download/);
  });

  it('Go: vendor/ builds with no network, and a Procfile web: line wins', () => {
    const g = generateContainerfile(
      {
        entries: ['go.mod', 'vendor/', 'main.go', 'Procfile'],
        texts: { 'go.mod': 'module x\nrequire a.b/c v1.0.0\n', Procfile: 'web: /app/app -serve\n' },
      },
      IMAGES,
    );
    assert.match(g.text, /^ENV CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off$/m);
    assert.doesNotMatch(g.text, /go mod download/);
    assert.match(g.text, /^CMD \["\/bin\/sh","-c","\/app\/app -serve"\]$/m);
    assert.match(g.reason, /vendored modules/);
  });

  it("Ruby: config.ru alone runs on Debian's puma; a Gemfile installs with bundler, offline from vendor/cache", () => {
    const plain = generateContainerfile({ entries: ['config.ru'], texts: {} }, IMAGES);
    assert.equal(plain.stack, 'ruby');
    assert.doesNotMatch(plain.text, /RUN bundle/);
    assert.match(
      plain.text,
      /^CMD \["puma","-b","tcp:\/\/0\.0\.0\.0:8080","-e","production","config\.ru"\]$/m,
    );
    const vendored = generateContainerfile(
      {
        entries: ['Gemfile', 'Gemfile.lock', 'config.ru', 'vendor/', 'vendor/cache/'],
        texts: { Gemfile: "gem 'rack'\n", 'Gemfile.lock': 'GEM\n  specs:\n    puma (5.6.5)\n' },
      },
      IMAGES,
    );
    assert.match(
      vendored.text,
      /^COPY Gemfile Gemfile\.lock \.\/\nCOPY vendor\/cache vendor\/cache\nRUN bundle install --local --jobs 4\nENV HOME=\/tmp PORT=8080\nUSER 65534:65534\nEXPOSE 8080\nCMD .*\nCOPY \. \.\n$/m,
    );
    assert.match(vendored.text, /^CMD \["bundle","exec","puma",/m);
    assert.match(vendored.reason, /gems from vendor\/cache/);
    const network = generateContainerfile(
      { entries: ['Gemfile', 'config.ru'], texts: { Gemfile: "gem 'rack'\n" } },
      IMAGES,
    );
    assert.match(network.text, /^RUN bundle install --jobs 4$/m);
    assert.match(network.text, /^CMD \["bundle","exec","rackup",/m);
    assert.throws(
      () => generateContainerfile({ entries: ['Gemfile'], texts: { Gemfile: '' } }, IMAGES),
      /add a config\.ru or a Procfile web: line/,
    );
  });

  it('Java: plain sources with javac into a runnable jar; the runtime stage has the JRE only', () => {
    const g = generateContainerfile({ entries: ['Main.java', 'Util.java'], texts: {} }, IMAGES);
    assert.equal(g.stack, 'java');
    const [build, runtime] = stages(g.text);
    assert.match(build!, /^FROM jdk AS build$/m);
    assert.match(
      build!,
      /javac -d \/out\/classes .*\n.*jar --create --file \/out\/app\.jar --main-class Main /,
    );
    assert.match(runtime!, /^FROM jre$/m);
    assert.match(runtime!, /\nCMD .*\nCOPY --from=build \/out\/app\.jar \/app\/app\.jar\n$/);
    assert.match(runtime!, /^CMD \["java","-jar","\/app\/app\.jar"\]$/m);
    assert.match(runtime!, /^USER 65534:65534$/m);
    assert.throws(
      () => generateContainerfile({ entries: ['A.java', 'B.java'], texts: {} }, IMAGES),
      /name it Main\.java or App\.java/,
    );
  });

  it('Java: Maven, offline with a committed .m2/repository; Gradle is refused with a reason', () => {
    const online = generateContainerfile({ entries: ['pom.xml', 'src/'], texts: {} }, IMAGES);
    assert.match(
      online.text,
      /^COPY pom\.xml \.\/\nRUN mvn -B -q dependency:go-offline \|\| true\nCOPY \. \.$/m,
    );
    assert.match(online.text, /^RUN mvn -B -q package -DskipTests$/m);
    const offline = generateContainerfile(
      { entries: ['pom.xml', '.m2/', '.m2/repository/'], texts: {} },
      IMAGES,
    );
    assert.match(
      offline.text,
      /^RUN mvn -B -q -o -Dmaven\.repo\.local=\/src\/\.m2\/repository package -DskipTests$/m,
    );
    assert.doesNotMatch(offline.text, /go-offline/);
    assert.throws(
      () => generateContainerfile({ entries: ['build.gradle'], texts: {} }, IMAGES),
      /Gradle.*gradle \(4\.4\) cannot build with Java 17/,
    );
  });

  it('PHP: php -S on public/ or the root; composer packages in a builder stage unless vendor/ is committed', () => {
    const plain = generateContainerfile({ entries: ['index.php'], texts: {} }, IMAGES);
    assert.equal(plain.stack, 'php');
    assert.equal(stages(plain.text).length, 1);
    assert.match(plain.text, /^CMD \["php","-S","0\.0\.0\.0:8080","-t","\/app"\]$/m);
    const composer = generateContainerfile(
      {
        entries: ['composer.json', 'composer.lock', 'public/', 'public/index.php'],
        texts: { 'composer.json': '{"require":{"php":">=8","monolog/monolog":"^3"}}' },
      },
      IMAGES,
    );
    const [build, runtime] = stages(composer.text);
    assert.match(build!, /^FROM php-build AS build$/m);
    assert.match(build!, /^COPY composer\.json composer\.lock \.\/\nRUN composer install --no-dev/m);
    assert.match(runtime!, /^FROM php-base$/m);
    assert.match(runtime!, /"-t","\/app\/public"/);
    const vendored = generateContainerfile(
      {
        entries: ['composer.json', 'vendor/', 'index.php'],
        texts: { 'composer.json': '{"require":{"monolog/monolog":"^3"}}' },
      },
      IMAGES,
    );
    assert.doesNotMatch(vendored.text, /composer install/);
    assert.equal(
      vendored.reason,
      "PHP (composer.json, vendor/ committed), php -S (PHP's built-in server) on /app",
    );
  });

  it("every builder stage trusts the box's CA bundle; Java imports the box's own certificates; Maven gets the proxy", () => {
    const go = generateContainerfile(
      { entries: ['go.mod'], texts: { 'go.mod': 'module x\n' } },
      IMAGES,
      TRUST,
    );
    const [build, runtime] = stages(go.text);
    assert.match(build!, /^COPY \.hiy-build\/ca-certificates\.crt \/etc\/ssl\/certs\/hiy-box-ca\.crt$/m);
    assert.match(
      build!,
      /^ENV SSL_CERT_FILE=\/etc\/ssl\/certs\/hiy-box-ca\.crt NODE_EXTRA_CA_CERTS=.* PIP_CERT=/m,
    );
    assert.doesNotMatch(runtime!, /hiy-build/);
    for (const ctx of [
      { entries: ['package.json', 'server.js'], texts: { 'package.json': '{}' } },
      { entries: ['app.py'], texts: {} },
      { entries: ['config.ru'], texts: {} },
    ]) {
      assert.match(generateContainerfile(ctx, IMAGES, TRUST).text, /SSL_CERT_FILE=/);
    }
    const java = generateContainerfile({ entries: ['pom.xml'], texts: {} }, IMAGES, TRUST);
    assert.match(java.text, /keytool -importcert -noprompt -cacerts -storepass changeit -alias hiy-box-0 /);
    assert.match(java.text, /mvn -B -q -s \.hiy-build\/maven-settings\.xml package/);
  });

  it('every stack copies the app last: a source-only change finds USER, EXPOSE and CMD in the layer cache', () => {
    for (const ctx of [
      { entries: ['index.html'], texts: {} },
      { entries: ['Procfile', 'run.sh'], texts: { Procfile: 'web: ./run.sh\n' } },
      { entries: ['package.json', 'package-lock.json', 'server.js'], texts: { 'package.json': '{}' } },
      { entries: ['requirements.txt', 'app.py'], texts: {} },
      { entries: ['go.mod', 'main.go'], texts: { 'go.mod': 'module x\n' } },
      { entries: ['Gemfile', 'config.ru'], texts: {} },
      { entries: ['Main.java'], texts: {} },
      { entries: ['pom.xml'], texts: {} },
      { entries: ['index.php'], texts: {} },
      { entries: ['composer.json', 'index.php'], texts: { 'composer.json': '{"require":{"a/b":"1"}}' } },
    ]) {
      const g = generateContainerfile(ctx, IMAGES, TRUST);
      const runtime = stages(g.text).at(-1)!;
      const steps = runtime.trimEnd().split('\n');
      const user = steps.indexOf('USER 65534:65534');
      const copies = steps.flatMap((l, i) => (l.startsWith('COPY ') ? [i] : []));
      const runs = steps.flatMap((l, i) => (l.startsWith('RUN ') ? [i] : []));
      assert.ok(user > 0 && runs.every((i) => i < user), `${g.stack}: USER after every RUN:\n${runtime}`);
      assert.match(steps.at(-1)!, /^COPY /, `${g.stack}: the last step copies the app:\n${runtime}`);
      // The CMD and every runtime setting come before the app's files; only COPY steps follow USER.
      assert.ok(
        steps.slice(user + 1).every((l) => /^(EXPOSE|CMD|COPY) /.test(l)),
        `${g.stack}: only EXPOSE, CMD and COPY after USER:\n${runtime}`,
      );
      assert.ok(copies.length > 0);
    }
  });

  it("Maven's settings carry the proxy's host and port, never its credentials", () => {
    assert.equal(mavenProxySettings({}), undefined);
    const xml = mavenProxySettings({
      HTTPS_PROXY: 'http://user:s3cret@proxy.corp:3128',
      NO_PROXY: 'localhost,.corp.lan',
    })!;
    assert.match(xml, /<protocol>https<\/protocol>\s*<host>proxy\.corp<\/host>\s*<port>3128<\/port>/);
    assert.match(xml, /<nonProxyHosts>localhost\|\*\.corp\.lan<\/nonProxyHosts>/);
    assert.doesNotMatch(xml, /s3cret|user/);
  });
});
