// `hiy port new|label|check`: the port author's toolkit (docs/ports.md).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DNS_LABEL } from '../../model/names.js';
import { checkPortImage, declarationLabel, newPortFiles } from '../../ports/toolkit.js';
import { type CommandRun, str } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const [sub, arg] = ctx.args;
  switch (sub) {
    case 'new': {
      const name = arg ? basename(arg) : '';
      if (!DNS_LABEL.test(name)) throw new UsageError('hiy port new NAME: NAME must be a DNS label');
      const dir = resolve(arg!);
      if (
        await stat(dir).then(
          () => true,
          () => false,
        )
      )
        throw new UsageError(`hiy port new: ${dir} already exists`);
      const files = newPortFiles(name, str(ctx, 'from'));
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text, { mode: path.startsWith('hooks/') ? 0o755 : 0o644 });
      }
      deps.io.out(
        `Wrote ${Object.keys(files)
          .map((f) => join(arg!, f))
          .join(
            ', ',
          )}.\nBuild it:\n  cd ${arg} && podman build --label "io.hiy.port.v1=$(hiy port label port.yaml)" -t localhost/ports/${name}:0.1.0 .\nthen: hiy port check localhost/ports/${name}:0.1.0\n`,
      );
      return EXIT.ok;
    }
    case 'label': {
      if (!arg) throw new UsageError('hiy port label FILE: which port.yaml?');
      deps.io.out(`${declarationLabel(arg, await readFile(arg, 'utf8'))}\n`);
      return EXIT.ok;
    }
    case 'check': {
      if (!arg) throw new UsageError('hiy port check IMAGE: which image?');
      const engine = await deps.makeEngine(settings);
      const report = await checkPortImage(engine.podman, arg, settings.instance);
      const d = report.declaration;
      const ok = !report.check || report.check.exitCode === 0;
      if (ctx.json) {
        deps.io.out(`${JSON.stringify({ ok, image: arg, ...report }, null, 2)}\n`);
        return ok ? EXIT.ok : EXIT.error;
      }
      deps.io.out(
        `${arg}: port ${d.name} ${d.version}, data version ${d.dataVersion}: the declaration is valid.\n` +
          `  env: ${Object.keys(d.env).join(', ') || '-'}; volumes: ${d.volumes.map((v) => v.mountPath).join(', ') || '-'}; hooks: ${Object.keys(d.hooks).join(', ') || '-'}\n`,
      );
      if (!report.check) deps.io.out('  no check hook to run.\n');
      else if (ok)
        deps.io.out(`  check hook passed with the example values.\n${indent(report.check.output)}`);
      else
        deps.io.err(
          `error: the check hook failed (exit ${report.check.exitCode}):\n${indent(report.check.output)}`,
        );
      return ok ? EXIT.ok : EXIT.error;
    }
    default:
      throw new UsageError('hiy port new NAME | label FILE | check IMAGE');
  }
};

function indent(text: string): string {
  const t = text.replace(/\s+$/, '');
  return t
    ? `${t
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}\n`
    : '';
}
