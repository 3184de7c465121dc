// Renders a Plan for humans, Terraform-style, from the same value `hiy plan --json` prints. Pure.
import type { ProxyRoute } from '../model/routing.js';
import { CAPACITY_TIGHT_SHARE } from './capacity.js';
import type { Action, Plan } from './types.js';
import { CHANGE_SYMBOL } from './types.js';

const VERB: Record<Action['change'], string> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
};

function short(commit: string): string {
  return commit.length > 12 ? commit.slice(0, 12) : commit;
}

function headline(a: Action): string {
  switch (a.kind) {
    case 'volume.create':
      return `volume ${a.volume.name}`;
    case 'image.build':
      return `image ${a.image.tag} (build ${a.source.gitDir}@${short(a.source.commit)})`;
    case 'container.create':
    case 'container.replace':
      return `container ${a.run.name} (${a.resource}) image ${a.run.image}`;
    case 'container.start':
    case 'container.delete':
      return `container ${a.container.name} (${a.resource})`;
    case 'certificate.reload':
      return `certificate of ${a.host} in container ${a.container.name} (${a.resource}), reloaded by its ${a.reload.port} reload hook`;
    case 'route.change':
      return a.resource === 'caddy'
        ? `caddy server ${a.address.slice('caddy/'.length)}`
        : `routes of ${a.resource}`;
  }
}

function value(v: unknown): string {
  return JSON.stringify(v);
}

/** Reads the value at an RFC 6901 pointer, or undefined. */
function at(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const SENSITIVE = '(sensitive value)';

/** Secret variables by name only: their digests are shown to nobody, their values exist nowhere in a plan. */
function secretLines(op: string, path: string, value: unknown): string[] {
  const sym = op === 'add' ? '+' : op === 'remove' ? '-' : '~';
  const text = op === 'replace' ? '(sensitive value changed)' : SENSITIVE;
  if (path === '/secretEnv') {
    const names = value && typeof value === 'object' ? Object.keys(value) : [];
    return names.map((n) => `${sym} secretEnv.${n}: ${text}`);
  }
  const name = path.slice('/secretEnv/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
  return [`${sym} secretEnv.${name}: ${text}`];
}

function details(a: Action): string[] {
  const lines: string[] = [];
  if (a.kind === 'route.change' && a.resource !== 'caddy') {
    const before = (a.before as ProxyRoute[] | null) ?? [];
    const after = a.routes;
    // A brought certificate shows by secret name and salted digest: a replaced secret reads as a change.
    const key = (r: ProxyRoute) =>
      `${r.host}${r.path} → ${r.upstream || '(certificate only)'}${r.certificate ? ` (certificate ${r.certificate.secret} hmac:${r.certificate.digest.slice(0, 12)})` : ''}`;
    const was = new Set(before.map(key));
    const now = new Set(after.map(key));
    for (const r of before) if (!now.has(key(r))) lines.push(`- ${key(r)}`);
    for (const r of after) if (!was.has(key(r))) lines.push(`+ ${key(r)}`);
    return lines;
  }
  for (const op of a.patch) {
    const path = op.path;
    if (path === '/secretEnv' || path.startsWith('/secretEnv/')) {
      lines.push(
        ...secretLines(
          op.op,
          path,
          op.op === 'remove' ? at(a.before, path) : (op as { value?: unknown }).value,
        ),
      );
      continue;
    }
    if (op.op === 'add') lines.push(`+ ${path}: ${value(op.value)}`);
    else if (op.op === 'remove') lines.push(`- ${path}: ${value(at(a.before, path))}`);
    else if (op.op === 'replace') lines.push(`~ ${path}: ${value(at(a.before, path))} → ${value(op.value)}`);
  }
  return lines;
}

/** The human view of a plan. */
export function renderPlan(p: Plan): string {
  const out: string[] = [];
  const where = `state repo ${p.repo} at ${short(p.commit)} (${p.branch})`;
  if (p.actions.length === 0 && p.deferred?.length) {
    out.push(`No changes in this run for the ${where}: what differs backs off (below).`);
  } else if (p.actions.length === 0) {
    out.push(`No changes. This box matches the ${where}.`);
  } else {
    out.push(`HIY will perform the following actions for the ${where}:`, '');
    out.push('Symbols: + create, ~ update in place, -/+ replace, - destroy', '');
    for (const a of p.actions) {
      out.push(`  # ${a.address} ${VERB[a.change]}`);
      out.push(`${CHANGE_SYMBOL[a.change].padStart(3)} ${headline(a)}`);
      out.push(`      reason: ${a.reason}`);
      for (const d of details(a)) out.push(`      ${d}`);
      out.push('');
    }
  }
  if (p.retained.length > 0) {
    if (p.actions.length === 0) out.push('');
    out.push('Retained volumes (kept with their data; nothing deletes them unless you ask):');
    for (const r of p.retained) out.push(`  ${r.name}: ${r.reason}`);
    out.push('');
  }
  for (const pin of p.pins ?? []) {
    if (p.actions.length === 0 && p.retained.length === 0) out.push('');
    out.push(
      pin.state === 'pinned'
        ? `Pinned: ${pin.resource} stays at release ${pin.release} (rolled back at ${pin.pinnedAt}); the state repo's version of it at ${short(pin.ignoredCommit)} is ignored until the state repo changes ${pin.resource} or you run "hiy unpin ${pin.resource}".`
        : `Pin lifted: the state repo changed ${pin.resource} since its rollback to release ${pin.release}; the state repo's version applies again.`,
    );
  }
  if (p.pins?.length) out.push('');
  if (p.deferred?.length) {
    if (p.actions.length === 0 && p.retained.length === 0 && !p.pins?.length) out.push('');
    for (const d of p.deferred)
      out.push(
        `Backing off: ${d.resource} is left out of this run and its current container keeps serving; ${d.reason} ("hiy apply" retries it now).`,
      );
    out.push('');
  }
  if (p.secrets?.length) {
    if (p.actions.length === 0 && p.retained.length === 0) out.push('');
    out.push('Secrets apply writes first (values are never shown):');
    for (const x of p.secrets)
      out.push(
        `  ${x.change === 'create' ? '+' : '~'} secret ${x.name} ${x.change === 'create' ? 'will be generated' : 'will be written'} for ${x.resource}: ${x.reason}`,
      );
    out.push('');
  }
  if (p.massDelete) {
    out.push(
      `Warning: this plan removes ${p.massDelete.removing.length} of the ${p.massDelete.managed} resources HIY manages here (${p.massDelete.removing.join(', ')}).`,
      'apply refuses it unless you pass --allow-mass-delete (their volumes are kept either way).',
      '',
    );
  }
  if (p.capacity && p.capacity.verdict !== 'ok') {
    const exceeded = p.capacity.verdict === 'exceeded';
    out.push(
      `${exceeded ? 'Warning: this plan does not fit this box' : 'Note: this plan leaves this box little room'}: ${p.capacity.problems.join('; ')}.`,
      exceeded
        ? 'apply refuses it unless you pass --allow-over-capacity: started anyway, containers would fail or be killed halfway through and the box would thrash.'
        : `apply goes ahead; less than ${Math.round((1 - CAPACITY_TIGHT_SHARE) * 100)} % of it would be left.`,
      '',
    );
  }
  if (p.actions.length > 0) {
    const s = p.summary;
    out.push(
      `Plan: ${s.create} to add, ${s.update} to change, ${s.replace} to replace, ${s.delete} to destroy.`,
    );
  }
  return `${out.join('\n')}\n`;
}
