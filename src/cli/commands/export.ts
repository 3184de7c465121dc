// `hiy export kube`: the state repo's head as Kubernetes manifests in a directory (or on stdout), with play.sh.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { snapshotsOf } from '../../data/commands.js';
import { loadDesired } from '../../engine/engine.js';
import { copyVolumeData } from '../../export/data.js';
import { exportKube } from '../../export/kube.js';
import type { DataArchive, ExportWarning } from '../../export/types.js';
import { schemaProblems } from '../../export/validate.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import type { Settings } from '../../model/settings.js';
import { resolvePorts } from '../../ports/resolve.js';
import { type CommandRun, flag, str } from '../command.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

export interface ExportOptions {
  json: boolean;
  out?: string;
  withData: boolean;
  withSecretValues: boolean;
  clusterIssuer?: string;
  ingressNamespace?: string;
}

function warningLine(w: ExportWarning): string {
  return `warning: ${w.resource} ${w.field}: ${w.message}`;
}

export async function exportKubeCommand(
  deps: CliDeps,
  settings: Settings,
  opts: ExportOptions,
): Promise<number> {
  if (opts.withData && !opts.out) {
    deps.io.err(
      'hiy export kube: --with-data needs --out DIR (the archives are files next to the manifests)\n',
    );
    return EXIT.error;
  }
  const engine = await deps.makeEngine(settings);
  const loaded = await loadDesired(engine);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.state || errors.length > 0) {
    for (const d of loaded.diagnostics) deps.io.err(`${formatDiagnostic(d)}\n`);
    deps.io.err(`\nnothing exported: ${errors.length} error(s) in the state repo\n`);
    return EXIT.error;
  }
  // Read-only, as `hiy validate`: the declarations are folded in, nothing is generated or written.
  const resolved = await resolvePorts({
    podman: engine.podman,
    cache: engine.stores.portDeclarations,
    instance: settings.instance,
    state: loaded.state,
    containers: [],
  });
  if (resolved.diagnostics.some((d) => d.severity === 'error')) {
    for (const d of resolved.diagnostics) deps.io.err(`${formatDiagnostic(d)}\n`);
    deps.io.err('\nnothing exported: the Ports do not match their declarations\n');
    return EXIT.error;
  }
  const state = resolved.state;
  const warnings: ExportWarning[] = [];
  let data: Map<string, DataArchive> | undefined;
  const out = opts.out ? resolve(opts.out) : undefined;
  if (opts.withData && out) {
    const copied = await copyVolumeData({
      workloads: state.workloads,
      snapshots: await snapshotsOf(engine),
      dataDir: settings.dataDir,
      out,
    });
    data = copied.data;
    warnings.push(...copied.warnings);
  }
  let secretValues: Map<string, string> | undefined;
  if (opts.withSecretValues) {
    secretValues = new Map();
    for (const w of state.workloads) {
      for (const name of Object.values(w.secretEnv ?? {})) {
        const value = await engine.stores.secrets.value(name);
        if (value !== undefined) secretValues.set(name, value);
      }
    }
  }
  const result = exportKube({
    commit: state.commit,
    resources: state.resources,
    workloads: state.workloads,
    tls: settings.tls,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(opts.clusterIssuer && { clusterIssuer: opts.clusterIssuer }),
    ...(opts.ingressNamespace && { ingressNamespace: opts.ingressNamespace }),
    ...(secretValues && { secretValues }),
    ...(data && { data }),
  });
  warnings.push(...result.warnings);
  const problems = schemaProblems(result.manifests);
  if (problems.length > 0) {
    for (const p of problems) deps.io.err(`invalid manifest ${p}\n`);
    deps.io.err('\nnothing exported: a manifest does not validate (a bug of hiy export: please report it)\n');
    return EXIT.error;
  }
  if (out) {
    for (const f of result.files) {
      const path = join(out, f.path);
      await mkdir(dirname(path), { recursive: true, mode: f.mode === 0o600 ? 0o700 : 0o755 });
      await writeFile(path, f.text, { mode: f.mode });
      await chmod(path, f.mode);
    }
  }
  if (opts.json) {
    deps.io.out(
      `${JSON.stringify(
        {
          commit: state.commit,
          ...(out && { out }),
          files: result.files.map((f) => f.path),
          ...(data && { data: [...data.values()] }),
          warnings,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (opts.withSecretValues)
      deps.io.err(
        'warning: --with-secret-values wrote secret values (secrets.yaml, podman/secrets/, mode 600): keep them private\n',
      );
    for (const w of warnings) deps.io.err(`${warningLine(w)}\n`);
    if (out) {
      deps.io.out(`Exported commit ${state.commit.slice(0, 12)} to ${out}:\n`);
      for (const f of result.files) deps.io.out(`  ${f.path}\n`);
      deps.io.out(
        '\nOn Kubernetes: kubectl apply -f volumes.yaml, then sh data/load-data.sh (with --with-data), then kubectl apply -f .\n' +
          'On this box with Podman: sh play.sh (see docs/kubernetes.md)\n',
      );
    } else {
      const manifests = result.files.filter((f) => f.path.endsWith('.yaml') && !f.path.includes('/'));
      deps.io.out(manifests.map((f) => f.text).join(''));
    }
  }
  return EXIT.ok;
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const [what] = ctx.args;
  if (what !== 'kube') {
    deps.io.err(`hiy export: say what to export: hiy export kube${what ? ` (not ${what})` : ''}\n`);
    return EXIT.error;
  }
  return exportKubeCommand(deps, settings, {
    json: ctx.json,
    out: str(ctx, 'out'),
    withData: flag(ctx, 'with-data'),
    withSecretValues: flag(ctx, 'with-secret-values'),
    clusterIssuer: str(ctx, 'cluster-issuer'),
    ingressNamespace: str(ctx, 'ingress-namespace'),
  });
};
