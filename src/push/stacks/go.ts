// The generated build of a Go app (go.mod): go build in the builder, the static binary alone in a small runtime.
import { cmd, has, header, procfileStart, RUNTIME_USER, trustLines } from './common.js';
import type { BuildTrust, ContextSummary, GeneratedContainerfile } from './types.js';

/** Whether go.mod requires any module (a stdlib-only app downloads nothing). */
function requiresModules(goMod: string): boolean {
  return /^\s*require\b/m.test(goMod);
}

/**
 * Modules come from `vendor/` with no network when it is committed (-mod=vendor, GOPROXY=off so a missing one
 * fails at once), else `go mod download` in a layer of its own (go.mod and go.sum copied before the source).
 * Go's build cache is a cache mount kept per App: a source-only change recompiles only what changed (the standard
 * library alone takes minutes on a small box), and one App's build never reads what another's wrote.
 */
export function goStack(
  ctx: ContextSummary,
  images: { build: string; runtime: string },
  trust?: BuildTrust,
  app = 'app',
): GeneratedContainerfile {
  const vendored = has(ctx, 'vendor/');
  const download =
    !vendored && requiresModules(ctx.texts['go.mod'] ?? '')
      ? `COPY ${['go.mod', 'go.sum'].filter((f) => has(ctx, f)).join(' ')} ./\nRUN go mod download\n`
      : '';
  const start = procfileStart(ctx) ?? { argv: ['/app/app'], how: 'the built binary' };
  return {
    stack: 'go',
    reason: `Go (go.mod${vendored ? ', vendored modules' : ''}), ${start.how}`,
    text: `${header('a Go app (go.mod)')}FROM ${images.build} AS build
WORKDIR /src
${trustLines(trust)}ENV CGO_ENABLED=0${vendored ? ' GOFLAGS=-mod=vendor GOPROXY=off' : ''}
${download}COPY . .
RUN --mount=type=cache,id=hiy-go-build-${app},target=/root/.cache/go-build go build -trimpath -ldflags="-s -w" -o /out/app .

FROM ${images.runtime}
WORKDIR /app
${RUNTIME_USER}${cmd(start.argv)}
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/app /app/app
`,
  };
}
