// Notifications: controller events → the Notifier resources of the state repo (a JSON webhook or ntfy-style URL).

import type { Logger } from 'pino';
import { headResources } from '../desired/load.js';
import type { FetchLike } from '../drivers/http/fetch.js';
import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import type { Controller, ControllerEvent } from '../model/events.js';
import type { NOTIFY_EVENTS, NotifierResource } from '../model/resources.js';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** One notification, as the JSON format sends it. */
export interface Notification {
  event: NotifyEvent;
  title: string;
  message: string;
  resource?: string;
  commit?: string;
  at: string;
  /** Controller event it came from. */
  source: { type: string; seq: number };
}

/**
 * Which controller events notify, and as what. The daemon emits `reconcile.finished` / `reconcile.failed`
 * (with `data.triggers` naming what woke it: a run woken only by the resync that changed something corrected
 * drift), `rollback.finished` and `snapshot.failed`.
 */
export function toNotification(e: ControllerEvent): Notification | undefined {
  const data = e.data ?? {};
  const base = {
    at: e.at,
    source: { type: e.type, seq: e.seq },
    ...(e.resource ? { resource: e.resource } : {}),
    ...(typeof data.commit === 'string' ? { commit: data.commit } : {}),
  };
  const triggers = Array.isArray(data.triggers) ? (data.triggers as unknown[]).map(String) : [];
  switch (e.type) {
    case 'reconcile.finished': {
      if (data.actions === 0) return undefined; // a run that changed nothing is not news
      const onlyResync = triggers.length > 0 && triggers.every((t) => t.startsWith('resync'));
      if (onlyResync)
        return { ...base, event: 'drift.corrected', title: 'HIY corrected drift', message: e.message };
      return { ...base, event: 'deploy.succeeded', title: 'Deploy succeeded', message: e.message };
    }
    case 'reconcile.failed':
      return { ...base, event: 'deploy.failed', title: 'Deploy FAILED', message: e.message };
    case 'rollback.finished':
      return {
        ...base,
        event: 'rollback',
        title: `Rolled back${e.resource ? ` ${e.resource}` : ''}`,
        message: e.message,
      };
    case 'snapshot.failed':
      return {
        ...base,
        event: 'snapshot.failed',
        title: `Snapshot FAILED${e.resource ? ` (${e.resource})` : ''}`,
        message: e.message,
      };
    case 'job.failed':
      return {
        ...base,
        event: 'job.failed',
        title: `Job FAILED${e.resource ? ` (${e.resource})` : ''}`,
        message: e.message,
      };
    case 'build.failed':
      return {
        ...base,
        event: 'build.failed',
        title: `Build FAILED${e.resource ? ` (${e.resource})` : ''}`,
        message: e.message,
      };
    case 'backup.failed':
    case 'backup.stale':
    case 'backup.check.failed':
    case 'backup.drill.failed':
      return { ...base, event: e.type, title: BACKUP_TITLES[e.type](e.resource), message: e.message };
    default:
      return undefined;
  }
}

const BACKUP_TITLES = {
  'backup.failed': (r?: string) => `Backup FAILED${r ? ` (${r})` : ''}`,
  'backup.stale': (r?: string) => `Backups STALE${r ? ` (${r})` : ''}`,
  'backup.check.failed': () => 'Backup repository check FAILED',
  'backup.drill.failed': (r?: string) => `Restore drill FAILED${r ? ` (${r})` : ''}`,
};

const NTFY: Record<NotifyEvent, { priority: string; tags: string }> = {
  'deploy.succeeded': { priority: '3', tags: 'white_check_mark' },
  'deploy.failed': { priority: '4', tags: 'x' },
  rollback: { priority: '4', tags: 'rewind' },
  'drift.corrected': { priority: '3', tags: 'wrench' },
  'snapshot.failed': { priority: '5', tags: 'warning' },
  'job.failed': { priority: '4', tags: 'x' },
  'build.failed': { priority: '4', tags: 'hammer' },
  'backup.failed': { priority: '5', tags: 'warning' },
  'backup.stale': { priority: '4', tags: 'hourglass' },
  'backup.check.failed': { priority: '5', tags: 'warning' },
  'backup.drill.failed': { priority: '5', tags: 'warning' },
};

/** True when the notifier wants this notification (its events and resources filters). */
export function wants(n: NotifierResource, note: Notification): boolean {
  if (n.spec.events && !n.spec.events.includes(note.event)) return false;
  if (n.spec.resources && note.resource && !n.spec.resources.includes(note.resource)) return false;
  return true;
}

/** The HTTP request a notifier gets: JSON, or ntfy's text body with Title/Priority/Tags headers. */
export function renderRequest(
  n: NotifierResource,
  note: Notification,
): { headers: Record<string, string>; body: string } {
  if (n.spec.format === 'ntfy') {
    const { priority, tags } = NTFY[note.event];
    // Header values must be Latin-1: anything else is dropped from the title.
    const title = `HIY: ${note.title}`.replace(/[^\x20-\x7e]/g, '?');
    return {
      headers: { 'content-type': 'text/plain; charset=utf-8', Title: title, Priority: priority, Tags: tags },
      body: `${note.message}${note.commit ? `\ncommit ${note.commit.slice(0, 12)}` : ''}`,
    };
  }
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sender: 'hiy', ...note }),
  };
}

/** The Notifier resources at the state repo's head (parsed only: notifications still go out while it is invalid). */
export async function stateNotifiers(engine: Pick<Engine, 'settings' | 'git'>): Promise<NotifierResource[]> {
  const resources = await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch);
  return resources.filter((r): r is NotifierResource => r.kind === 'Notifier');
}

export interface NotifierService {
  /** Resolves when every notification sent so far has been delivered or has failed. */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * Subscribes to the controller and sends each notification to every Notifier that wants it. A failed delivery is
 * logged and dropped (a notification is never worth blocking or retrying a reconcile); each POST has 10 s.
 */
export function startNotifier(opts: {
  controller: Controller;
  engine: Pick<Engine, 'settings' | 'git'>;
  logger: Logger;
  /** How notifications are sent (the HTTP driver's fetch, given by whoever starts the notifier). */
  fetchImpl: FetchLike;
}): NotifierService {
  const send = opts.fetchImpl;
  let pending: Promise<unknown> = Promise.resolve();
  const unsubscribe = opts.controller.subscribe((e) => {
    const note = toNotification(e);
    if (!note) return;
    pending = pending.then(async () => {
      const notifiers = await stateNotifiers(opts.engine).catch((err: unknown) => {
        opts.logger.warn({ err: errorMessage(err) }, 'cannot read Notifiers from the state repo');
        return [];
      });
      await Promise.all(
        notifiers
          .filter((n) => wants(n, note))
          .map(async (n) => {
            const { headers, body } = renderRequest(n, note);
            try {
              const res = await send(n.spec.url, {
                method: 'POST',
                headers,
                body,
                signal: AbortSignal.timeout(10_000),
              });
              await res.arrayBuffer().catch(() => undefined);
              if (!res.ok) throw new Error(`HTTP ${res.status}`);
            } catch (err) {
              opts.logger.warn(
                { notifier: n.metadata.name, event: note.event, err: errorMessage(err) },
                'notification failed',
              );
            }
          }),
      );
    });
  });
  return {
    idle: async () => {
      await pending;
    },
    stop: unsubscribe,
  };
}
