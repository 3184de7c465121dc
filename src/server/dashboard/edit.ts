// Editing, the GitOps way: a resource's env (deploy) or its whole YAML file (admin on "*") becomes a commit to
// the state repo authored by the signed-in user, after HIY shows the plan of the edit. Nothing is changed on the
// box here: the daemon applies the commit like any other. An edit that does not validate is not committed.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed } from '../../access/grants.js';
import {
  type EditTarget,
  editableDocuments,
  findResourceFile,
  StateEditError,
  setEnv,
  unsetEnv,
} from '../../desired/edit.js';
import { isStateFilePath } from '../../desired/load.js';
import { editStateRepo } from '../../engine/stateEdit.js';
import { StateRepoInvalidError } from '../../model/diagnostics.js';
import { errorMessage } from '../../model/errors.js';
import { HttpError } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';
import { diagnosticsList } from './diagnostics.js';
import { type Html, html } from './html.js';
import { csrfField, page } from './layout.js';
import { planTextFor } from './plan.js';
import { readForm, redirect, sendHtml } from './respond.js';
import { checkCsrf } from './session.js';

function targetOf(id: string): EditTarget {
  const [kind, name] = id.split('/') as [string, string];
  return { kind: kind === 'app' ? 'App' : 'Port', name };
}

/** The state files at the branch head, path → text. */
async function stateFiles(ctx: DashboardContext): Promise<Map<string, string>> {
  const { git, settings } = ctx.engine;
  const head = await git.resolveBranch(settings.stateRepo, settings.branch);
  const files = new Map<string, string>();
  const decoder = new TextDecoder();
  for (const f of (await git.listFiles(settings.stateRepo, head)).filter((x) => isStateFilePath(x.path)))
    files.set(f.path, decoder.decode(await git.readBlob(settings.stateRepo, f.oid)));
  return files;
}

/** `KEY=value` lines → variables; every bad line reported at once, with its line number. */
export function parseEnvLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const bad: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) bad.push(`line ${i + 1}: expected KEY=value`);
    else vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  if (bad.length > 0) throw new StateEditError('CONFIG_KEY_INVALID', bad.join('; '));
  return vars;
}

/** spec.env of the target as written in its file (not as resolved), so an edit round-trips. */
function currentEnv(
  files: ReadonlyMap<string, string>,
  target: EditTarget,
): { file: string; env: Record<string, string> } {
  const file = findResourceFile(files, target);
  for (const doc of editableDocuments(files.get(file)!, file)) {
    const value = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      spec?: { env?: Record<string, unknown> };
    } | null;
    if (value?.kind !== target.kind || value.metadata?.name !== target.name) continue;
    return {
      file,
      env: Object.fromEntries(Object.entries(value.spec?.env ?? {}).map(([k, v]) => [k, String(v)])),
    };
  }
  return { file, env: {} };
}

/** The files an edit changes and what it does in words (`set A, B; unset C`). Pure. */
export function planEdit(
  files: ReadonlyMap<string, string>,
  target: EditTarget,
  input: { yaml: boolean; text: string },
): { changes: Record<string, string>; summary: string } {
  const { file, env } = currentEnv(files, target);
  if (input.yaml) return { changes: { [file]: input.text.replace(/\r\n/g, '\n') }, summary: `edit ${file}` };
  const wanted = parseEnvLines(input.text);
  const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => env[k] !== v));
  const removed = Object.keys(env).filter((k) => !(k in wanted));
  let next = files.get(file)!;
  if (removed.length) next = unsetEnv(next, target, removed, file);
  if (Object.keys(changed).length) next = setEnv(next, target, changed, file);
  const summary = [
    Object.keys(changed).length ? `set ${Object.keys(changed).join(', ')}` : '',
    removed.length ? `unset ${removed.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return { changes: { [file]: next }, summary: summary || 'no change' };
}

interface EditForm {
  id: string;
  yaml: boolean;
  text: string;
  file?: string;
  /** The commit message typed, kept across a preview. */
  message?: string;
}

function editForm(viewer: Viewer, f: EditForm, outcome?: Html): Html {
  const name = f.id.slice(f.id.indexOf('/') + 1);
  return html`<h1>${f.yaml ? `Edit the YAML of ${name}` : `Edit the env of ${name}`}</h1>
<p class="muted">Your edit becomes a commit to the state repo, authored by ${viewer.user.metadata.name}; the daemon applies it like any commit.${f.yaml && f.file ? html` File: <code>${f.file}</code>.` : ''}</p>
${outcome ?? ''}
<form method="post" action="/r/${f.id}/edit">${csrfField(viewer)}${f.yaml ? html`<input type="hidden" name="yaml" value="1">` : ''}
<label for="text">${f.yaml ? 'YAML' : 'Variables, one KEY=value per line (secrets are set with hiy secret set)'}</label>
<textarea id="text" name="text" spellcheck="false">${f.text}</textarea>
<label for="message">Commit message (optional)</label><input type="text" id="message" name="message" maxlength="200" value="${f.message ?? ''}">
<p class="actions"><button type="submit" name="intent" value="preview" class="secondary">Show the plan</button>
<button type="submit" name="intent" value="commit">Commit</button> <a href="/r/${f.id}">Cancel</a></p></form>`;
}

function mayEdit(viewer: Viewer, id: string, yaml: boolean): boolean {
  return yaml ? isAllowed(viewer.user, 'administer', '*') : isAllowed(viewer.user, 'push', id);
}

export async function editPage(
  ctx: DashboardContext,
  viewer: Viewer,
  id: string,
  yaml: boolean,
): Promise<Html> {
  if (!mayEdit(viewer, id, yaml))
    throw new HttpError(
      403,
      'FORBIDDEN',
      `${viewer.user.metadata.name} may not edit ${id}${yaml ? ' (the YAML needs admin on "*")' : ''}`,
    );
  const files = await stateFiles(ctx);
  const target = targetOf(id);
  let body: Html;
  try {
    const { file, env } = currentEnv(files, target);
    const text = yaml
      ? files.get(file)!
      : Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n');
    body = editForm(viewer, { id, yaml, text, file });
  } catch (err) {
    if (!(err instanceof StateEditError)) throw err;
    body = html`<h1>Edit ${id}</h1><p class="alert" role="alert">${err.message}</p>`;
  }
  return page({ title: `Edit ${id}`, section: 'overview', viewer, body });
}

/** POST /r/KIND/NAME/edit: preview (plan of the edit) or commit. */
export async function editAction(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  id: string,
): Promise<void> {
  const form = await readForm(req);
  const yaml = form.get('yaml') === '1';
  const actor = viewer.user.metadata.name;
  const audit = (result: 'ok' | 'failed' | 'denied', detail: string) =>
    ctx.audit.append({
      actor,
      via: 'dashboard',
      action: yaml ? 'edit.yaml' : 'edit.env',
      target: id,
      result,
      detail: `${detail}; from ${viewer.address}`,
    });
  try {
    checkCsrf(req, viewer, form.get('csrf') ?? undefined);
  } catch (err) {
    await audit('denied', errorMessage(err));
    throw err;
  }
  if (!mayEdit(viewer, id, yaml)) {
    await audit('denied', 'no grant');
    throw new HttpError(403, 'FORBIDDEN', `${actor} may not edit ${id}`);
  }
  const text = form.get('text') ?? '';
  const commit = form.get('intent') === 'commit';
  const typed = form.get('message')?.trim() ?? '';
  const target = targetOf(id);
  let file: string | undefined;
  try {
    // What the edit does, in words for the commit message; the edit itself is redone on the head it commits to.
    const first = planEdit(await stateFiles(ctx), target, { yaml, text });
    file = Object.keys(first.changes)[0];
    const message = typed || `dashboard: ${first.summary} of ${id}`;
    const result = await editStateRepo(ctx.engine, {
      author: { name: actor, email: `${actor}@hiy.invalid` },
      message: `${message}\n\nMade in the HIY dashboard by ${actor}.`,
      dryRun: !commit,
      edit: (files) => planEdit(files, target, { yaml, text }).changes,
    });
    if (commit) {
      await audit('ok', result.commit ? `commit ${result.commit}: ${first.summary}` : 'nothing changed');
      return redirect(
        res,
        `/r/${id}`,
        result.commit
          ? `Committed ${result.commit.slice(0, 12)} (${first.summary}); the daemon applies it.`
          : 'Nothing changed: no commit made.',
      );
    }
    const outcome = html`<h2>Plan of this edit</h2><pre>${planTextFor(result.plan, viewer)}</pre>${result.diagnostics.length ? diagnosticsList(result.diagnostics) : ''}`;
    sendHtml(
      req,
      res,
      200,
      page({
        title: `Edit ${id}`,
        section: 'overview',
        viewer,
        body: editForm(viewer, { id, yaml, text, file, message: typed }, outcome),
      }),
    );
  } catch (err) {
    return showEditError(req, res, viewer, { id, yaml, text, file, message: typed }, err, audit);
  }
}

async function showEditError(
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  f: EditForm,
  err: unknown,
  audit: (result: 'failed', detail: string) => Promise<void>,
): Promise<void> {
  let shown: Html;
  if (err instanceof StateRepoInvalidError)
    shown = html`<p>The edit was not committed: the state repo would not be valid.</p>${diagnosticsList(err.diagnostics.filter((d) => d.severity === 'error'))}`;
  else if (err instanceof StateEditError || (err as Error).name === 'CommitRefusedError')
    shown = html`<p class="alert" role="alert">The edit was not committed: ${errorMessage(err)}</p>`;
  else throw err;
  await audit('failed', errorMessage(err));
  sendHtml(
    req,
    res,
    422,
    page({ title: `Edit ${f.id}`, section: 'overview', viewer, body: editForm(viewer, f, shown) }),
  );
}
