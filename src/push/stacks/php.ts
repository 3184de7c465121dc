// The generated build of a PHP app (composer.json, index.php): served by PHP's built-in web server (php -S).
import { errorMessage } from '../../model/errors.js';
import { cmd, has, header, procfileStart, RUNTIME_USER, trustLines } from './common.js';
import {
  type BuildTrust,
  type ContextSummary,
  type GeneratedContainerfile,
  STACK_PORT,
  StackError,
} from './types.js';

/** Whether composer.json requires packages (not only `php` and `ext-*`, which the image provides or not). */
function requiresPackages(composerJson: string | undefined): boolean {
  if (composerJson === undefined) return false;
  let parsed: { require?: Record<string, string> };
  try {
    parsed = JSON.parse(composerJson);
  } catch (err) {
    throw new StackError(`composer.json is not valid JSON: ${errorMessage(err)}`);
  }
  return Object.keys(parsed.require ?? {}).some((p) => p !== 'php' && !p.startsWith('ext-'));
}

/**
 * `php -S` with PHP_CLI_SERVER_WORKERS workers serves public/ (when it has index.php) or the app's root. Composer
 * packages install in a builder stage (composer.json and composer.lock copied before the source), unless
 * `vendor/` is committed; the runtime image has PHP's CLI only.
 */
export function phpStack(
  ctx: ContextSummary,
  images: { build: string; runtime: string },
  trust?: BuildTrust,
): GeneratedContainerfile {
  const docroot = has(ctx, 'public/index.php') ? '/app/public' : '/app';
  const start = procfileStart(ctx) ?? {
    argv: ['php', '-S', `0.0.0.0:${STACK_PORT}`, '-t', docroot],
    how: `php -S (PHP's built-in server) on ${docroot}`,
  };
  const packages = requiresPackages(ctx.texts['composer.json']);
  const composer = packages && !has(ctx, 'vendor/');
  const marker = has(ctx, 'composer.json') ? 'composer.json' : 'index.php';
  const runtime = `FROM ${images.runtime}
WORKDIR /app
ENV PHP_CLI_SERVER_WORKERS=4
`;
  const text = composer
    ? `${header(`a PHP app (${marker})`)}FROM ${images.build} AS build
WORKDIR /app
${trustLines(trust)}COPY ${['composer.json', 'composer.lock'].filter((f) => has(ctx, f)).join(' ')} ./
RUN composer install --no-dev --no-interaction --no-progress --no-scripts --prefer-dist
COPY . .

${runtime}${RUNTIME_USER}${cmd(start.argv)}
COPY --from=build /app /app
`
    : `${header(`a PHP app (${marker})`)}${runtime}${RUNTIME_USER}${cmd(start.argv)}
COPY . .
`;
  return {
    stack: 'php',
    reason: `PHP (${marker}${composer ? ', composer install' : packages ? ', vendor/ committed' : ''}), ${start.how}`,
    text,
  };
}
