// Stack detection for a build context without a Containerfile/Dockerfile, and the Containerfile HIY generates. Pure.
import { has } from './common.js';
import { goStack } from './go.js';
import { javaSources, javaStack } from './java.js';
import { nodeStack } from './node.js';
import { phpStack } from './php.js';
import { pythonStack } from './python.js';
import { rubyStack } from './ruby.js';
import { procfileOnlyStack, staticStack } from './static.js';
import {
  type BuildTrust,
  type ContextSummary,
  type GeneratedContainerfile,
  StackError,
  type StackImages,
} from './types.js';

export {
  type BuildTrust,
  type ContextSummary,
  type GeneratedContainerfile,
  KNOWN_TEXTS,
  STACK_PORT,
  type Stack,
  StackError,
  type StackImages,
} from './types.js';

/**
 * Chooses a stack by marker files, first match wins (docs/stacks.md): package.json → Node.js;
 * requirements.txt, pyproject.toml, app.py or main.py → Python; go.mod → Go; Gemfile or config.ru → Ruby;
 * pom.xml, build.gradle or top-level *.java → Java; composer.json, index.php or public/index.php → PHP;
 * index.html (or public/index.html) → static site; a Procfile alone → its web: line on busybox.
 * `app` names the App, whose build caches are its own. Throws StackError when nothing matches or the app has no
 * way to start.
 */
export function generateContainerfile(
  ctx: ContextSummary,
  images: StackImages,
  trust?: BuildTrust,
  app = 'app',
): GeneratedContainerfile {
  if (has(ctx, 'package.json')) return nodeStack(ctx, images.node, trust);
  const pyMarker = ['requirements.txt', 'pyproject.toml', 'app.py', 'main.py'].find((f) => has(ctx, f));
  if (pyMarker) return pythonStack(ctx, images.python, pyMarker, trust);
  if (has(ctx, 'go.mod')) return goStack(ctx, { build: images.goBuild, runtime: images.static }, trust, app);
  if (has(ctx, 'Gemfile') || has(ctx, 'config.ru')) return rubyStack(ctx, images.ruby, trust);
  if (
    has(ctx, 'pom.xml') ||
    has(ctx, 'build.gradle') ||
    has(ctx, 'build.gradle.kts') ||
    javaSources(ctx).length > 0
  ) {
    return javaStack(ctx, { build: images.javaBuild, runtime: images.java }, trust);
  }
  if (has(ctx, 'composer.json') || has(ctx, 'index.php') || has(ctx, 'public/index.php')) {
    return phpStack(ctx, { build: images.phpBuild, runtime: images.php }, trust);
  }
  if (has(ctx, 'index.html')) return staticStack('', images.static);
  if (has(ctx, 'public/index.html')) return staticStack('public/', images.static);
  const procfile = procfileOnlyStack(ctx, images.static);
  if (procfile) return procfile;
  throw new StackError(
    'no Containerfile or Dockerfile, and no known stack: expected package.json (Node.js), requirements.txt / pyproject.toml / app.py / main.py (Python), go.mod (Go), Gemfile / config.ru (Ruby), pom.xml / *.java (Java), composer.json / index.php (PHP), index.html (static site) or a Procfile with a web: line (docs/stacks.md)',
  );
}
