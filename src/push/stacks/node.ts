// The generated build of a Node.js app (package.json): npm ci with a lock file, the manifests before the source.
import { errorMessage } from '../../model/errors.js';
import { cmd, has, header, procfileStart, RUNTIME_USER, type Start, trustLines } from './common.js';
import { type BuildTrust, type ContextSummary, type GeneratedContainerfile, StackError } from './types.js';

/** Lock files of package managers generated builds do not run, and what to do instead. */
const UNSUPPORTED_LOCKS: [file: string, tool: string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
];

export function nodeStack(ctx: ContextSummary, image: string, trust?: BuildTrust): GeneratedContainerfile {
  let pkg: { scripts?: Record<string, string>; main?: string; dependencies?: Record<string, string> };
  try {
    pkg = JSON.parse(ctx.texts['package.json'] ?? '{}');
  } catch (err) {
    throw new StackError(`package.json is not valid JSON: ${errorMessage(err)}`);
  }
  let start: Start | undefined = procfileStart(ctx);
  const script = pkg.scripts?.start;
  if (!start && script) {
    // `node server.js` needs no npm at run time; anything else runs through npm like `npm start` would.
    const plain = /^node ([\w./-]+)$/.exec(script.trim());
    start = { argv: plain ? ['node', plain[1]!] : ['npm', 'start'], how: `start script: ${script}` };
  }
  if (!start) {
    const main = pkg.main ?? ['server.js', 'index.js', 'app.js'].find((f) => has(ctx, f));
    if (!main) {
      throw new StackError(
        'Node.js app (package.json) without a way to start it: add scripts.start, "main", a server.js/index.js, or a Procfile web: line',
      );
    }
    start = { argv: ['node', main], how: `node ${main}` };
  }
  const deps = Object.keys(pkg.dependencies ?? {}).length > 0;
  const lock = has(ctx, 'package-lock.json') || has(ctx, 'npm-shrinkwrap.json');
  const other = UNSUPPORTED_LOCKS.find(([file]) => has(ctx, file));
  if (deps && !lock && other) {
    throw new StackError(
      `Node.js app locked with ${other[1]} (${other[0]}): generated builds install with npm only; commit a package-lock.json (npm install --package-lock-only) or add a Containerfile`,
    );
  }
  // The manifests first, in their own layer: a change to the source alone reuses the installed dependencies.
  const manifests = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'].filter((f) => has(ctx, f));
  const install = !deps
    ? ''
    : `COPY ${manifests.join(' ')} ./
RUN ${lock ? 'npm ci' : 'npm install'} --omit=dev --no-audit --no-fund
`;
  return {
    stack: 'node',
    reason: `Node.js (package.json${deps && lock ? ', npm ci from the lock file' : ''}), ${start.how}`,
    text: `${header('a Node.js app (package.json)')}FROM ${image}
WORKDIR /app
${trustLines(trust)}ENV NODE_ENV=production
${install}${RUNTIME_USER}${cmd(start.argv)}
COPY . .
`,
  };
}
