// The generated build of a static site (busybox httpd), and of an app that has only a Procfile.
import { cmd, header, procfileStart, RUNTIME_USER } from './common.js';
import { type ContextSummary, type GeneratedContainerfile, STACK_PORT } from './types.js';

export function staticStack(dir: string, image: string): GeneratedContainerfile {
  return {
    stack: 'static',
    reason: `static site (${dir}index.html), busybox httpd on ${STACK_PORT}`,
    text: `${header(`a static site (${dir}index.html)`)}FROM ${image}
${RUNTIME_USER}${cmd(['/bin/httpd', '-f', '-p', String(STACK_PORT), '-h', '/www'])}
COPY ${dir || '.'} /www
`,
  };
}

/** A Procfile and nothing else HIY knows: its web: line runs in the busybox image (a shell script, a binary). */
export function procfileOnlyStack(ctx: ContextSummary, image: string): GeneratedContainerfile | undefined {
  const start = procfileStart(ctx);
  if (!start) return undefined;
  return {
    stack: 'static',
    reason: `Procfile only, ${start.how} (busybox)`,
    text: `${header('an app with a Procfile only')}FROM ${image}
WORKDIR /app
${RUNTIME_USER}${cmd(start.argv)}
COPY . .
`,
  };
}
