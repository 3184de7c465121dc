// push-to-serving-<stack>: a second `git push` of an app built without a Containerfile that changes only its
// source, timed until Caddy answers with the new content, minus the same generated build run alone (podman build
// with the layer cache: the dependency layers are reused, the compile is not).
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { buildArgv } from '../src/drivers/podman/argv.js';
import { buildSettingsFrom } from '../src/push/buildSettings.js';
import { buildSupport } from '../src/push/buildSupport.js';
import { git, type Harness, makeRepo, startHarness } from '../test/support/hiy.js';
import { ensureBusyboxImage } from '../test/support/podman.js';
import { type ClientKey, type RunningSshd, startSshd, userYaml } from '../test/support/sshd.js';
import { type BenchContext, type Result, stats, timed, timePushUntilServing, withCleanup } from './lib.js';

/** A push's output lines, each with the milliseconds since the push started (git prints `remote: …` as it comes). */
interface TracedLine {
  ms: number;
  text: string;
}

/**
 * With HIY_BENCH_TRACE=1: a `podman` wrapper (given to the pushes as HIY_PODMAN) that appends each call's start
 * and end (epoch ms, exit code, arguments) to LOG, so a push's lines can be read next to its Podman calls.
 */
async function podmanTracer(dir: string, log: string): Promise<string> {
  const path = join(dir, 'podman-traced');
  const real = (await execa('sh', ['-c', 'command -v podman'])).stdout.trim();
  await writeFile(
    path,
    `#!/bin/sh\nt0=$(date +%s%3N)\n${real} "$@"\nrc=$?\necho "$t0 $(date +%s%3N) $rc $*" | cut -c1-200 >> ${log}\nexit $rc\n`,
    { mode: 0o755 },
  );
  return path;
}

/** The Podman calls logged by the tracer during the push TRACE (whose first line names its start). */
async function podmanCalls(log: string, trace: TracedLine[]): Promise<TracedLine[]> {
  const start = Number(/epoch (\d+)/.exec(trace[0]?.text ?? '')?.[1] ?? Number.NaN);
  const text = await readFile(log, 'utf8').catch(() => '');
  const out: TracedLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) (\d+) (.*)$/.exec(line);
    if (!m || Number(m[1]) < start) continue;
    const [from, to] = [Number(m[1]) - start, Number(m[2]) - start];
    out.push({ ms: from, text: `  [podman ${from}→${to} (${to - from} ms) rc ${m[3]}] ${m[4]}` });
  }
  return out;
}

/** Runs `git push` in SRC through SSHD, keeping each line of its output with when it came. */
async function tracedPush(
  sshd: RunningSshd,
  key: ClientKey,
  src: string,
  args: string[],
  trace: TracedLine[],
): Promise<{ code: number; stderr: string }> {
  const t0 = performance.now();
  trace.push({ ms: 0, text: `(git push started, epoch ${Date.now()})` });
  const child = execa('git', ['-C', src, ...args], {
    reject: false,
    env: { GIT_SSH_COMMAND: sshd.gitSsh(key), GIT_TERMINAL_PROMPT: '0' },
  });
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const ms = performance.now() - t0;
    const lines = (partial + chunk.toString()).split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const text of lines) if (text.trim()) trace.push({ ms, text });
  });
  const r = await child;
  return { code: r.exitCode ?? -1, stderr: String(r.stderr) };
}

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
        const podmanLog = join(direct, 'podman-calls.log');
        const tracing = process.env.HIY_BENCH_TRACE === '1';
        const r = await h.hiy(
          ['authorized-keys', '--out', sshd.authorizedKeysFile],
          tracing ? { HIY_PODMAN: await podmanTracer(direct, podmanLog) } : {},
        );
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
        const traces: TracedLine[][] = [];
        for (let i = 0; i < rounds; i++) {
          const text = `round ${i} ${randomBytes(4).toString('hex')}`;
          await writeFile(join(src, spec.source), spec.files(text)[spec.source]!);
          await git(src, ['commit', '-qam', text]);
          const trace: TracedLine[] = [];
          const total = await timePushUntilServing(
            () => tracedPush(sshd!, key, src, ['push', sshd!.url('app'), 'main'], trace),
            () => h!.get('app.bench'),
            text,
            50,
          );
          trace.push({ ms: total.ms, text: '(first 200 with the new content through Caddy)' });
          traces.push(trace);
          // The same generated build alone, on a copy of the source with content never built before.
          const ctxDir = join(direct, `round-${i}`);
          await cp(src, ctxDir, { recursive: true, filter: (p) => !p.includes('/.git') });
          await writeFile(join(ctxDir, spec.source), spec.files(`direct ${text}`)[spec.source]!);
          const generated = await support.containerfileFor(ctxDir, 'app');
          await writeFile(join(direct, `Containerfile-${i}`), generated.text);
          // The same command as the push's build: HIY's CPU and memory caps (HIY_BUILD_CPUS, default all cores
          // but one) apply to it, so the push and the build alone compile on the same share of the box.
          const argv = buildArgv({
            contextDir: ctxDir,
            file: join(direct, `Containerfile-${i}`),
            tag: directTag,
            labels: {},
            memoryBytes: support.caps.memoryBytes,
            cpus: support.caps.cpus,
          });
          const build = await timed(() => execa('podman', argv, { stdin: 'ignore' }));
          totals.push(total.ms);
          builds.push(build.ms);
          net.push(total.ms - build.ms);
          ctx.log(
            `  ${stack} round ${i + 1}/${rounds}: push→200 ${total.ms.toFixed(0)} ms, build alone ${build.ms.toFixed(0)} ms`,
          );
        }
        // Where the time of the last round went: each line of the push with when it came (and, when tracing, each
        // Podman call of the push's processes).
        const last = traces.at(-1) ?? [];
        if (tracing) last.push(...(await podmanCalls(podmanLog, last)));
        ctx.log(`  ${stack}: the last push, line by line (ms since git push started):`);
        for (const l of [...last].sort((a, b) => a.ms - b.ms))
          ctx.log(`    ${l.ms.toFixed(0).padStart(6)}  ${l.text}`);
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
