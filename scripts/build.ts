// `npm run build`: bundles src/main.ts and every dependency into dist/bundle/ with esbuild, which bin/hiy.js runs.
// Why a bundle: a `hiy` process spent most of its start-up resolving and loading hundreds of small files
// (docs/design.md, "Start-up"). tsc still typechecks (`npm run typecheck`); it no longer emits anything.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildResult, build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where bin/hiy.js looks for the bundle. */
export const BUNDLE_DIR = join(ROOT, 'dist/bundle');

/**
 * The `yaml` parser reads `process.env.LOG_TOKENS` (a debugging switch of the library) once per token: a getter
 * into the C++ environment, 16 % of the CPU of `hiy validate` of 1,000 Ports (docs/benchmarks.md,
 * "validate-1000"). HIY never sets it, so the bundle reads `false` instead; the composer's `LOG_STREAM` (once per
 * document) goes the same way.
 */
const yamlDebugSwitchesOff: Plugin = {
  name: 'yaml-debug-switches-off',
  setup(b) {
    b.onLoad(
      { filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ },
      async (args) => {
        const text = await readFile(args.path, 'utf8');
        const contents = text.replace(/\bnode_process\.env\.(LOG_TOKENS|LOG_STREAM)\b/g, 'false');
        if (contents === text)
          throw new Error(`${args.path}: the yaml debug switches were not found (yaml changed?)`);
        return { contents, loader: 'js' };
      },
    );
  },
};

/**
 * Builds the bundle into `outdir` (emptied first): `main.js`, one chunk per group of lazily imported modules
 * (each command's implementation, the drivers), and linked source maps pointing at src/.
 *
 * Every file lands directly in `outdir`, never deeper: src/push/self.ts finds bin/hiy.js at
 * `../../bin/hiy.js` from its own module, which holds for src/push/ and for dist/bundle/ alike.
 */
export async function buildBundle(outdir = BUNDLE_DIR): Promise<BuildResult<{ metafile: true }>> {
  await rm(outdir, { recursive: true, force: true });
  await buildDashboardAssets(outdir);
  return build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'src/main.ts' },
    outdir,
    bundle: true,
    // Each `import()` of a command or of the drivers becomes a chunk of its own, loaded when it runs.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // CommonJS dependencies (pino, isomorphic-git's, cron's) call require(), which ESM does not define.
    banner: {
      js: "import { createRequire as __hiyCreateRequire } from 'node:module';\nconst require = __hiyCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    // The maps point at src/ and node_modules/ of this checkout instead of carrying a copy of every source.
    sourcesContent: false,
    metafile: true,
    plugins: [yamlDebugSwitchesOff],
    logLevel: 'warning',
  });
}

/**
 * The dashboard's browser script for passkeys (src/server/dashboard/client/passkey.ts with
 * @simplewebauthn/browser), minified into `dist/static/passkey.js` (beside the bundle, not in it: every file of the
 * bundle sits directly in dist/bundle/, see above), which the server serves as a static asset.
 * The only client-side build step: every other page is rendered on the server.
 */
export async function buildDashboardAssets(outdir = BUNDLE_DIR): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { passkey: 'src/server/dashboard/client/passkey.ts' },
    outdir: join(outdir, '..', 'static'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    tsconfig: 'src/server/dashboard/client/tsconfig.json',
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // What tsc emitted into dist/ before HIY was bundled would only confuse.
  if (!process.argv[2]) await rm(join(ROOT, 'dist'), { recursive: true, force: true });
  const result = await buildBundle(process.argv[2] ?? BUNDLE_DIR);
  const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  process.stderr.write(`built ${files.length} files into ${process.argv[2] ?? 'dist/bundle'}\n`);
}
