// Passkeys (WebAuthn credentials) registered by dashboard users: public keys only (DATA_DIR/passkeys.json).
import { join } from 'node:path';
import { readJsonList, updateJsonList } from './jsonFile.js';

/** A registered passkey: its public key, never anything secret. */
export interface PasskeyRecord {
  /** The credential id, base64url. */
  id: string;
  user: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter (a clone shows up as a counter that goes back). */
  counter: number;
  transports?: string[];
  /** What the user called it. */
  label: string;
  createdAt: string;
  lastUsedAt?: string;
}

export class PasskeyStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'passkeys.json');
  }

  async list(user?: string): Promise<PasskeyRecord[]> {
    const all = await readJsonList<PasskeyRecord>(this.path);
    return user === undefined ? all : all.filter((p) => p.user === user);
  }

  async find(id: string): Promise<PasskeyRecord | undefined> {
    return (await this.list()).find((p) => p.id === id);
  }

  add(record: PasskeyRecord): Promise<void> {
    return updateJsonList<PasskeyRecord, void>(this.path, (list) => {
      list.splice(0, list.length, ...list.filter((p) => p.id !== record.id), record);
      return { changed: true, result: undefined };
    });
  }

  /** Records a successful sign-in: the new counter and when. */
  used(id: string, counter: number, at: string): Promise<void> {
    return updateJsonList<PasskeyRecord, void>(this.path, (list) => {
      const p = list.find((x) => x.id === id);
      if (p) {
        p.counter = counter;
        p.lastUsedAt = at;
      }
      return { changed: p !== undefined, result: undefined };
    });
  }

  /** Removes one passkey of `user`; false when there was none. */
  remove(id: string, user: string): Promise<boolean> {
    return updateJsonList<PasskeyRecord, boolean>(this.path, (list) => {
      const kept = list.filter((p) => !(p.id === id && p.user === user));
      const removed = kept.length !== list.length;
      list.splice(0, list.length, ...kept);
      return { changed: removed, result: removed };
    });
  }

  /** Removes the passkeys of users not in `users`. */
  keepOnly(users: ReadonlySet<string>): Promise<number> {
    return updateJsonList<PasskeyRecord, number>(this.path, (list) => {
      const kept = list.filter((p) => users.has(p.user));
      const removed = list.length - kept.length;
      list.splice(0, list.length, ...kept);
      return { changed: removed > 0, result: removed };
    });
  }
}
