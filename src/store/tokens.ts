// API tokens: `hiy_<id>_<secret>`, shown once; only a SHA-256 of the whole token is stored (DATA_DIR/api-tokens.json).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** A stored token: never the token itself. */
export interface TokenRecord {
  /** Public part of the token, used to find it and to revoke it. */
  id: string;
  user: string;
  /** sha256 (hex) of the whole token. */
  sha256: string;
  createdAt: string;
}

const TOKEN_FORMAT = /^hiy_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The token store. A token carries 256 random bits, so a fast hash is enough: slow password hashes (scrypt,
 * argon2) only help against guessing low-entropy secrets, and would cost every API request tens of ms.
 */
export class TokenStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'api-tokens.json');
  }

  async list(): Promise<TokenRecord[]> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as TokenRecord[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Creates a token for `user`; the returned token is the only copy there will ever be. */
  async create(user: string): Promise<{ token: string; record: TokenRecord }> {
    const id = randomBytes(6).toString('hex');
    const token = `hiy_${id}_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = { id, user, sha256: sha256(token), createdAt: new Date().toISOString() };
    const all = await this.list();
    all.push(record);
    await this.save(all);
    return { token, record };
  }

  /** Removes a token by id; false when there was none. */
  async revoke(id: string): Promise<boolean> {
    const all = await this.list();
    const kept = all.filter((t) => t.id !== id);
    if (kept.length === all.length) return false;
    await this.save(kept);
    return true;
  }

  /** The token's record when the token is valid, compared in constant time. */
  async verify(token: string): Promise<TokenRecord | undefined> {
    const m = TOKEN_FORMAT.exec(token);
    if (!m) return undefined;
    const record = (await this.list()).find((t) => t.id === m[1]);
    if (!record) return undefined;
    const a = Buffer.from(sha256(token), 'hex');
    const b = Buffer.from(record.sha256, 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? record : undefined;
  }

  private async save(all: TokenRecord[]): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(all, null, 2)}\n`);
  }
}
