// push-to-serving-<stack>: a second `git push` of an app built without a Containerfile that changes only its
// source, timed until Caddy answers with the new content, minus the same generated build run alone (podman build
// with the layer cache: the dependency layers are reused, the compile is not).
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildSettingsFrom } from '../src/push/buildSettings.js';
import { buildSupport } from '../src/push/buildSupport.js';
import { git, type Harness, makeRepo, startHarness } from '../test/support/hiy.js';
import { ensureBusyboxImage } from '../test/support/podman.js';
import { type RunningSshd, startSshd, userYaml } from '../test/support/sshd.js';
import { type BenchContext, type Result, stats, timed, timePushUntilServing, withCleanup } from './lib.js';

const STACK_IMAGES = new URL('../images/runtime/debian.sh', import.meta.url).pathname;
const REPO_ROOT = new URL('..', import.meta.url).pathname;
const TARGET_MS = 2000;

interface StackApp {
  /** images/runtime/debian.sh images the stack needs. */
  images: string[];
  /** The app's files answering `text` on $PORT. */
  files(text: string): Record<string, string>;
  /** The file a source-only change rewrites. */
  source: string;
}

export const STACK_APPS: Record<'go' | 'ruby' | 'java' | 'php', StackApp> = {
  go: {
    images: ['go-build'],
    source: 'main.go',
    files: (text) => ({
      'go.mod': 'module example.com/bench\n\ngo 1.19\n',
      'main.go': `package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, ${JSON.stringify(text)}) })\n\tpanic(http.ListenAndServe(":"+os.Getenv("PORT"), nil))\n}\n`,
    }),
  },
  ruby: {
    images: ['ruby'],
    source: 'config.ru',
    files: (text) => ({
      'config.ru': `run ->(env) { [200, { 'content-type' => 'text/plain' }, [${JSON.stringify(`${text}\n`)}]] }\n`,
    }),
  },
  java: {
    images: ['java-build', 'java'],
    source: 'Main.java',
    files: (text) => ({
      'Main.java': `import com.sun.net.httpserver.HttpServer;\nimport java.net.InetSocketAddress;\n\npublic class Main {\n  public static void main(String[] args) throws Exception {\n    HttpServer s = HttpServer.create(new InetSocketAddress(Integer.parseInt(System.getenv("PORT"))), 0);\n    s.createContext("/", x -> { byte[] b = ${JSON.stringify(`${text}\n`)}.getBytes(); x.sendResponseHeaders(200, b.length); x.getResponseBody().write(b); x.close(); });\n    s.start();\n  }\n}\n`,
    }),
  },
  php: {
    images: ['php'],
    source: 'index.php',
    files: (text) => ({ 'index.php': `<?php echo ${JSON.stringify(`${text}\n`)};\n` }),
  },
};

/** The push-to-serving benchmark of one stack. */
export function benchPushStack(stack: keyof typeof STACK_APPS): (ctx: BenchContext) => Promise<Result[]> {
  const spec = STACK_APPS[stack];
  const group = `push-to-serving-${stack}`;
  return async (ctx) => {
    await ensureBusyboxImage();
    for (const image of spec.images) await execa(STACK_IMAGES, [image]);
    // The forced command runs bin/hiy.js (the bundle), as on a real server.
    ctx.log(`${group}: building dist/`);
    await execa('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT });
    const rounds = ctx.quick ? 2 : 5;
    let h: Harness | undefined;
    let sshd: RunningSshd | undefined;
    const direct = await mkdtemp(join(tmpdir(), `hiy-bench-${stack}-`));
    const directTag = `localhost/hiy-bench-stack-${stack}-${randomBytes(3).toString('hex')}`;
    return withCleanup(
      group,
      async () => {
        await sshd?.stop();
        await h?.cleanup();
        await execa('podman', ['rmi', '-f', directTag], { reject: false });
        await rm(direct, { recursive: true, force: true });
      },
      async () => {
        sshd = await startSshd();
        const key = await sshd.newKey('dev');
        // No health check declared: the default one of generated builds gates the deploy.
        h = await startHarness({
          'state.yaml': `${userYaml('dev', key, [{ app: 'app', role: 'deploy' }])}---
apiVersion: hiy/v1
kind: App
metadata:
  name: app
spec:
  source: { repo: app }
  routes: [{ host: app.bench, port: 8080 }]
  stopGracePeriod: 1s
`,
        });
        const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile]);
        if (r.code !== 0) throw new Error(r.err);
        const src = join(h.root, 'app');
        await makeRepo(src, spec.files('warm-up'));
        // Warm-up: the repository, the builder's dependency layers, Caddy; not timed.
        const warm = await sshd.git(key, src, ['push', sshd.url('app'), 'main']);
        if (warm.code !== 0) throw new Error(`warm-up push failed: ${warm.stderr}`);
        const support = buildSupport(buildSettingsFrom(process.env));
        const totals: number[] = [];
        const builds: number[] = [];
        const net: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const text = `round ${i} ${randomBytes(4).toString('hex')}`;
          await writeFile(join(src, spec.source), spec.files(text)[spec.source]!);
          await git(src, ['commit', '-qam', text]);
          const total = await timePushUntilServing(
            () => sshd!.git(key, src, ['push', sshd!.url('app'), 'main']),
            () => h!.get('app.bench'),
            text,
            50,
          );
          // The same generated build alone, on a copy of the source with content never built before.
          const ctxDir = join(direct, `round-${i}`);
          await cp(src, ctxDir, { recursive: true, filter: (p) => !p.includes('/.git') });
          await writeFile(join(ctxDir, spec.source), spec.files(`direct ${text}`)[spec.source]!);
          const generated = await support.containerfileFor(ctxDir, 'app');
          await writeFile(join(direct, `Containerfile-${i}`), generated.text);
          const build = await timed(() =>
            execa('podman', [
              'build',
              '--layers',
              '--pull=never',
              '-t',
              directTag,
              '-f',
              join(direct, `Containerfile-${i}`),
              ctxDir,
            ]),
          );
          totals.push(total.ms);
          builds.push(build.ms);
          net.push(total.ms - build.ms);
          ctx.log(
            `  ${stack} round ${i + 1}/${rounds}: push→200 ${total.ms.toFixed(0)} ms, build alone ${build.ms.toFixed(0)} ms`,
          );
        }
        const ns = stats(net);
        return [
          {
            name: `${group} (minus the build)`,
            group,
            samplesMs: net,
            stats: ns,
            target: 'median ≤ 2 s',
            verdict: ns.median <= TARGET_MS ? 'pass' : 'FAIL',
            note: `second push of a ${stack} app changing only its source (docs/stacks.md); default health check`,
          },
          {
            name: '  git push → first 200',
            group,
            samplesMs: totals,
            stats: stats(totals),
            target: '',
            verdict: 'info',
            note: 'build included',
          },
          {
            name: '  generated build alone (layer cache)',
            group,
            samplesMs: builds,
            stats: stats(builds),
            target: '',
            verdict: 'info',
            note: 'subtracted above',
          },
        ];
      },
    );
  };
}
