// Dashboard sessions: `hiys_<id>_<secret>` in a cookie; only a SHA-256 of it is stored (DATA_DIR/sessions.json).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { readJsonList, updateJsonList } from './jsonFile.js';

/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;

/** A session ends this long after it was opened, however often it is used: sign in again once a week. */
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** Last use is written at most this often (a page view should not rewrite the file each time). */
const TOUCH_EVERY_MS = 60 * 1000;

/** A stored session: never the cookie value itself. */
export interface SessionRecord {
  /** Public part of the session, shown in lists and used to revoke it. */
  id: string;
  user: string;
  sha256: string;
  createdAt: string;
  lastSeenAt: string;
  /** How the session was opened: `link` or `passkey`. */
  method: 'link' | 'passkey';
  /** The client address and browser that opened it, for the lists. */
  address?: string;
  userAgent?: string;
}

const SESSION_FORMAT = /^hiys_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The session store; `now` is injected so tests can age sessions. */
export class SessionStore {
  readonly path: string;
  constructor(
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = join(dataDir, 'sessions.json');
  }

  /** Neither idle for SESSION_IDLE_MS nor opened more than SESSION_MAX_AGE_MS ago (an unreadable date: ended). */
  private live(s: SessionRecord): boolean {
    const now = this.now().getTime();
    return (
      now - Date.parse(s.lastSeenAt) < SESSION_IDLE_MS && now - Date.parse(s.createdAt) < SESSION_MAX_AGE_MS
    );
  }

  /** Sessions that have not expired, oldest first. */
  async list(user?: string): Promise<SessionRecord[]> {
    const all = await readJsonList<SessionRecord>(this.path);
    return all.filter((s) => this.live(s) && (user === undefined || s.user === user));
  }

  /** Opens a session; the returned value (the cookie) is the only copy there will ever be. */
  async create(
    user: string,
    meta: Pick<SessionRecord, 'method' | 'address' | 'userAgent'>,
  ): Promise<{ token: string; record: SessionRecord }> {
    const id = randomBytes(6).toString('hex');
    const token = `hiys_${id}_${randomBytes(32).toString('base64url')}`;
    const at = this.now().toISOString();
    const record: SessionRecord = {
      id,
      user,
      sha256: sha256(token),
      createdAt: at,
      lastSeenAt: at,
      method: meta.method,
      ...(meta.address ? { address: meta.address } : {}),
      ...(meta.userAgent ? { userAgent: meta.userAgent.slice(0, 200) } : {}),
    };
    await updateJsonList<SessionRecord, void>(this.path, (list) => {
      // Expired sessions are dropped whenever the file is written anyway.
      const kept = list.filter((s) => this.live(s));
      list.splice(0, list.length, ...kept, record);
      return { changed: true, result: undefined };
    });
    return { token, record };
  }

  /** The session of a cookie value when it is valid, not idle for 12 h and under 7 days old; its last use is recorded. */
  async verify(token: string): Promise<SessionRecord | undefined> {
    const m = SESSION_FORMAT.exec(token);
    if (!m) return undefined;
    const record = (await this.list()).find((s) => s.id === m[1]);
    if (!record) return undefined;
    const a = Buffer.from(sha256(token), 'hex');
    const b = Buffer.from(record.sha256, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const now = this.now();
    if (now.getTime() - Date.parse(record.lastSeenAt) > TOUCH_EVERY_MS) {
      record.lastSeenAt = now.toISOString();
      await updateJsonList<SessionRecord, void>(this.path, (list) => {
        const s = list.find((x) => x.id === record.id);
        if (s) s.lastSeenAt = record.lastSeenAt;
        return { changed: s !== undefined, result: undefined };
      });
    }
    return record;
  }

  /** Ends one session (of `user` only, when given); false when there was none. */
  revoke(id: string, user?: string): Promise<boolean> {
    return this.removeWhere((s) => s.id === id && (user === undefined || s.user === user)).then((n) => n > 0);
  }

  /** Ends every session of users not in `users`; resolves to how many ended. */
  keepOnly(users: ReadonlySet<string>): Promise<number> {
    return this.removeWhere((s) => !users.has(s.user));
  }

  private removeWhere(drop: (s: SessionRecord) => boolean): Promise<number> {
    return updateJsonList<SessionRecord, number>(this.path, (list) => {
      const kept = list.filter((s) => !drop(s));
      const removed = list.length - kept.length;
      list.splice(0, list.length, ...kept);
      return { changed: removed > 0, result: removed };
    });
  }
}
