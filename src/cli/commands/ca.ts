// `hiy ca`: the internal CA's root certificate, read from Caddy's admin API (GET /pki/ca/local).
import type { CommandRun } from '../command.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const engine = await deps.makeEngine(settings);
  const pem = await engine.caddy.localCaRoot();
  if (ctx.json) deps.io.out(`${JSON.stringify({ rootCertificate: pem }, null, 2)}\n`);
  else deps.io.out(pem.endsWith('\n') ? pem : `${pem}\n`);
  return EXIT.ok;
};
