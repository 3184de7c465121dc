// The generated build of a Python app: pip -r requirements.txt in its own layer, then the source.
import { cmd, has, header, procfileStart, RUNTIME_USER, trustLines } from './common.js';
import { type BuildTrust, type ContextSummary, type GeneratedContainerfile, StackError } from './types.js';

export function pythonStack(
  ctx: ContextSummary,
  image: string,
  marker: string,
  trust?: BuildTrust,
): GeneratedContainerfile {
  let start = procfileStart(ctx);
  if (!start) {
    const entry = ['app.py', 'main.py', 'server.py'].find((f) => has(ctx, f));
    if (!entry) {
      throw new StackError(
        'Python app without a way to start it: add app.py, main.py or server.py, or a Procfile web: line',
      );
    }
    start = { argv: ['python3', entry], how: `python3 ${entry}` };
  }
  const requirements = (ctx.texts['requirements.txt'] ?? '')
    .split('\n')
    .some((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const poetry = has(ctx, 'poetry.lock') || /^\[tool\.poetry\]/m.test(ctx.texts['pyproject.toml'] ?? '');
  if (poetry && !has(ctx, 'requirements.txt')) {
    throw new StackError(
      'Python app managed with Poetry: generated builds install with pip from requirements.txt; commit one (poetry export -f requirements.txt -o requirements.txt) or add a Containerfile',
    );
  }
  if (has(ctx, 'Pipfile') && !has(ctx, 'requirements.txt')) {
    throw new StackError(
      'Python app managed with Pipenv (Pipfile): generated builds install with pip from requirements.txt; commit one (pipenv requirements > requirements.txt) or add a Containerfile',
    );
  }
  const install = requirements
    ? 'COPY requirements.txt ./\nRUN python3 -m pip install --no-cache-dir -r requirements.txt\n'
    : '';
  return {
    stack: 'python',
    reason: `Python (${marker}), ${start.how}`,
    text: `${header(`a Python app (${marker})`)}FROM ${image}
WORKDIR /app
${trustLines(trust)}ENV PYTHONUNBUFFERED=1
${install}${RUNTIME_USER}${cmd(start.argv)}
COPY . .
`,
  };
}
