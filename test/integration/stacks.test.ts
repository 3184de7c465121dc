// git push of Go, Ruby, Java and PHP apps without a Containerfile: detected, built offline from the stack images
// (vendored dependencies included), served through Caddy, health-gated by default on $PORT.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { git, type Harness, makeRepo, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const STACK_IMAGES = new URL('../../images/runtime/debian.sh', import.meta.url).pathname;
const RUBY_IMAGE = 'localhost/hiy/ruby:3.1';
const APPS = ['go', 'govendor', 'ruby', 'rubyvendor', 'java', 'php', 'wrongport'];

/** An App without a health check: generated builds get the default one (HTTP GET / on $PORT). */
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

/** A Go web server on $PORT saying `text` (a Go expression), with the given imports besides fmt, net/http, os. */
function goServer(text: string, imports: string[] = []): string {
  return `package main

import (
\t"fmt"
\t"net/http"
\t"os"
${imports.map((i) => `\t"${i}"\n`).join('')})

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, ${text}) })
\tif err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
\t\tpanic(err)
\t}
}
`;
}

/** A Ruby web server from the standard library only, answering with what the vendored gem says. */
const RUBY_SERVER = `require 'socket'
require 'greeting'
server = TCPServer.new('0.0.0.0', Integer(ENV.fetch('PORT')))
loop do
  client = server.accept
  while (line = client.gets) && line != "\\r\\n"; end
  body = "#{Greeting.text}\\n"
  client.write("HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: #{body.bytesize}\\r\\nConnection: close\\r\\n\\r\\n#{body}")
  client.close
end
`;

const JAVA_SERVER = `import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;

public class Main {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(System.getenv("PORT"))), 0);
    server.createContext("/", exchange -> {
      byte[] body = ("java " + System.getProperty("java.version") + " as " + System.getProperty("user.name") + "\\n").getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }
}
`;

describe('git push of Go, Ruby, Java and PHP apps', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let work: string;
  const self = JSON.stringify(testSelfCommand());

  async function push(dir: string, repo: string) {
    return sshd.git(alice, dir, ['push', '--porcelain', sshd.url(repo), 'main']);
  }

  /** Pushes and expects it deployed: the detected stack's line, then the body through Caddy. */
  async function pushServed(dir: string, repo: string, reason: RegExp, body: RegExp): Promise<string> {
    const r = await push(dir, repo);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, reason);
    const got = await h.get(`${repo}.test`);
    assert.equal(got.status, 200);
    assert.match(got.body.trim(), body);
    return r.stderr;
  }

  before(async () => {
    // The stack images, made offline from Debian's packages (only when their inputs changed).
    for (const image of ['go-build', 'ruby', 'java-build', 'java', 'php']) await execa(STACK_IMAGES, [image]);
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
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], { HIY_SELF: self });
    assert.equal(r.code, 0, r.err);
    work = join(h.root, 'work');
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup(); // containers, volumes, secrets and the images built for this instance
  });

  it('Go (stdlib only): go build in the builder, a small non-root image that answers on $PORT', async () => {
    await makeRepo(join(work, 'go'), {
      'go.mod': 'module example.com/app\n\ngo 1.19\n',
      'main.go': goServer('"go " + runtime.Version() + " as uid " + fmt.Sprint(os.Getuid())', ['runtime']),
    });
    const out = await pushServed(
      join(work, 'go'),
      'go',
      /detected Go \(go\.mod\), the built binary/,
      /^go go1\.19\S* as uid 65534$/,
    );
    assert.match(out, /image size: \d+(\.\d+)? MB/);
    const size = Number(/image size: (\d+(?:\.\d+)?) MB/.exec(out)![1]);
    assert.ok(size <= 40, `a Go image of ${size} MB`);
  });

  it('Go with vendor/: builds with no network (GOPROXY=off)', async () => {
    const dir = join(work, 'govendor');
    await makeRepo(dir, {
      'go.mod': 'module example.com/app\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n',
      'vendor/modules.txt': '# example.com/greet v1.0.0\n## explicit\nexample.com/greet\n',
      'vendor/example.com/greet/greet.go':
        'package greet\n\nfunc Hello() string { return "hello from a vendored module" }\n',
      'main.go': goServer('greet.Hello()', ['example.com/greet']),
    });
    await pushServed(
      dir,
      'govendor',
      /detected Go \(go\.mod, vendored modules\)/,
      /^hello from a vendored module$/,
    );
  });

  it("Ruby (config.ru only): a Rack app on Debian's puma", async () => {
    await makeRepo(join(work, 'ruby'), {
      'config.ru': `run ->(env) { [200, { 'content-type' => 'text/plain' }, ["ruby #{RUBY_VERSION} #{Process.uid}\\n"]] }\n`,
    });
    await pushServed(
      join(work, 'ruby'),
      'ruby',
      /detected Ruby \(config\.ru\), puma config\.ru/,
      /^ruby 3\.1\.\d+ 65534$/,
    );
  });

  it('Ruby with vendor/cache: bundler installs with no network; a source-only push reuses the installed gems', async () => {
    const dir = join(work, 'rubyvendor');
    const gemSrc = join(h.root, 'greeting-gem');
    await mkdir(join(gemSrc, 'lib'), { recursive: true });
    await writeFile(
      join(gemSrc, 'greeting.gemspec'),
      "Gem::Specification.new do |s|\n  s.name = 'greeting'\n  s.version = '1.0.0'\n  s.summary = 'test'\n  s.authors = ['HIY']\n  s.files = ['lib/greeting.rb']\nend\n",
    );
    await writeFile(
      join(gemSrc, 'lib', 'greeting.rb'),
      "module Greeting; def self.text = 'hello from a vendored gem'; end\n",
    );
    await execa('podman', [
      'run',
      '--rm',
      '--pull=never',
      '--network=none',
      '-v',
      `${gemSrc}:/g`,
      '-w',
      '/g',
      RUBY_IMAGE,
      'gem',
      'build',
      'greeting.gemspec',
    ]);
    await mkdir(join(dir, 'vendor', 'cache'), { recursive: true });
    await copyFile(join(gemSrc, 'greeting-1.0.0.gem'), join(dir, 'vendor', 'cache', 'greeting-1.0.0.gem'));
    await makeRepo(dir, {
      Gemfile: "source 'https://rubygems.org'\ngem 'greeting'\n",
      'app.rb': RUBY_SERVER,
      Procfile: 'web: bundle exec ruby app.rb\n',
    });
    await pushServed(
      dir,
      'rubyvendor',
      /detected Ruby \(Gemfile, gems from vendor\/cache\), Procfile web: bundle exec ruby app\.rb/,
      /^hello from a vendored gem$/,
    );
    await writeFile(join(dir, 'app.rb'), RUBY_SERVER.replace('#{Greeting.text}', 'v2 #{Greeting.text}'));
    await git(dir, ['commit', '-qam', 'source only']);
    const second = await pushServed(dir, 'rubyvendor', /detected Ruby/, /^v2 hello from a vendored gem$/);
    // The install step comes from the layer cache: the manifests are copied before the source.
    assert.match(
      second,
      /STEP \d+\/\d+: RUN bundle install --local --jobs 4\s*\n(remote: .*\n)?remote: .*--> Using cache/,
    );
  });

  it('Java (plain sources): javac into a runnable jar, run on the JRE as nobody', async () => {
    await makeRepo(join(work, 'java'), { 'Main.java': JAVA_SERVER });
    await pushServed(
      join(work, 'java'),
      'java',
      /detected Java, javac \(Main\.java\), java -jar app\.jar/,
      /^java 17\S* as nobody$/,
    );
  });

  it("PHP (index.php): PHP's built-in server", async () => {
    await makeRepo(join(work, 'php'), { 'index.php': '<?php echo "php " . PHP_VERSION . "\\n";\n' });
    await pushServed(join(work, 'php'), 'php', /detected PHP \(index\.php\), php -S/, /^php 8\.2\.\d+$/);
  });

  it('an app listening on another port than $PORT fails the default health check, which names the port', async () => {
    await makeRepo(join(work, 'wrongport'), {
      'index.php': '<?php echo "wrong port\\n";\n',
      Procfile: 'web: php -S 0.0.0.0:9999 -t /app\n',
    });
    const r = await push(join(work, 'wrongport'), 'wrongport');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /did not become healthy within 60s: .*must listen on \$PORT \(8080\)/);
    assert.match(r.stderr, /push rejected/);
  });
});
