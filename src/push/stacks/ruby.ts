// The generated build of a Ruby app (Gemfile, config.ru): bundler, a Rack app served by Debian's puma.
import { cmd, has, header, procfileStart, RUNTIME_USER, type Start, trustLines } from './common.js';
import {
  type BuildTrust,
  type ContextSummary,
  type GeneratedContainerfile,
  STACK_PORT,
  StackError,
} from './types.js';

function startCommand(ctx: ContextSummary, bundled: boolean): Start {
  const procfile = procfileStart(ctx);
  if (procfile) return procfile;
  if (!has(ctx, 'config.ru')) {
    throw new StackError(
      'Ruby app (Gemfile) without a way to start it: add a config.ru or a Procfile web: line',
    );
  }
  const bind = ['-b', `tcp://0.0.0.0:${STACK_PORT}`, '-e', 'production', 'config.ru'];
  // puma locked in the bundle runs from it; otherwise Debian's puma serves the Rack app.
  if (bundled && /^ {4}puma \(/m.test(ctx.texts['Gemfile.lock'] ?? '')) {
    return { argv: ['bundle', 'exec', 'puma', ...bind], how: 'bundle exec puma config.ru' };
  }
  if (bundled) {
    return {
      argv: ['bundle', 'exec', 'rackup', '-o', '0.0.0.0', '-p', String(STACK_PORT), 'config.ru'],
      how: 'bundle exec rackup config.ru (puma is not in Gemfile.lock)',
    };
  }
  return { argv: ['puma', ...bind], how: "puma config.ru (Debian's puma)" };
}

/**
 * Gems install into vendor/bundle from `vendor/cache` with no network when it is committed (`--local`), else from
 * the Gemfile's sources, in a layer of its own (Gemfile and Gemfile.lock copied before the source). The image has
 * no compiler: gems with native extensions need the Debian package of the gem, or a Containerfile.
 */
export function rubyStack(ctx: ContextSummary, image: string, trust?: BuildTrust): GeneratedContainerfile {
  const bundled = has(ctx, 'Gemfile');
  const vendored = bundled && has(ctx, 'vendor/cache/');
  const start = startCommand(ctx, bundled);
  const install = bundled
    ? `COPY ${['Gemfile', 'Gemfile.lock'].filter((f) => has(ctx, f)).join(' ')} ./
${vendored ? 'COPY vendor/cache vendor/cache\n' : ''}RUN bundle install${vendored ? ' --local' : ''} --jobs 4
`
    : '';
  return {
    stack: 'ruby',
    reason: `Ruby (${bundled ? 'Gemfile' : 'config.ru'}${vendored ? ', gems from vendor/cache' : ''}), ${start.how}`,
    text: `${header(`a Ruby app (${bundled ? 'Gemfile' : 'config.ru'})`)}FROM ${image}
WORKDIR /app
${trustLines(trust)}ENV RACK_ENV=production BUNDLE_PATH=/app/vendor/bundle BUNDLE_WITHOUT=development:test
${install}${RUNTIME_USER}${cmd(start.argv)}
COPY . .
`,
  };
}
