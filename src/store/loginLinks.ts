// One-time sign-in links (`hiy login USER`, `ssh hiy@box login`): valid 10 minutes, for one use, stored hashed.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJsonList, updateJsonList } from './jsonFile.js';

/** How long a link stays valid. */
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000;

interface LinkRecord {
  user: string;
  sha256: string;
  expiresAt: string;
}

const LINK_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `DATA_DIR/login-links.json`; `now` is injected so tests can expire links. */
export class LoginLinkStore {
  readonly path: string;
  constructor(
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = join(dataDir, 'login-links.json');
  }

  /** A new link token for `user` (256 random bits); only its hash is kept. */
  async create(user: string): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + LOGIN_LINK_TTL_MS).toISOString();
    await updateJsonList<LinkRecord, void>(this.path, (list) => {
      const kept = list.filter((l) => Date.parse(l.expiresAt) > this.now().getTime());
      list.splice(0, list.length, ...kept, { user, sha256: sha256(token), expiresAt });
      return { changed: true, result: undefined };
    });
    return { token, expiresAt };
  }

  /** Whether the link is valid now, without using it (the page that asks to confirm the sign-in). */
  async peek(token: string): Promise<string | undefined> {
    if (!LINK_FORMAT.test(token)) return undefined;
    const hash = sha256(token);
    const found = (await readJsonList<LinkRecord>(this.path)).find((l) => l.sha256 === hash);
    return found && Date.parse(found.expiresAt) > this.now().getTime() ? found.user : undefined;
  }

  /** Uses the link: its user when it was valid; it is gone afterwards either way. */
  consume(token: string): Promise<string | undefined> {
    if (!LINK_FORMAT.test(token)) return Promise.resolve(undefined);
    const hash = sha256(token);
    return updateJsonList<LinkRecord, string | undefined>(this.path, (list) => {
      const i = list.findIndex((l) => l.sha256 === hash);
      if (i < 0) return { changed: false, result: undefined };
      const [found] = list.splice(i, 1);
      const valid = Date.parse(found!.expiresAt) > this.now().getTime();
      return { changed: true, result: valid ? found!.user : undefined };
    });
  }

  /** Drops the links of users not in `users`. */
  keepOnly(users: ReadonlySet<string>): Promise<number> {
    return updateJsonList<LinkRecord, number>(this.path, (list) => {
      const kept = list.filter((l) => users.has(l.user));
      const removed = list.length - kept.length;
      list.splice(0, list.length, ...kept);
      return { changed: removed > 0, result: removed };
    });
  }
}
