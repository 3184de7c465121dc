// HIY's secret store: values for `spec.secretEnv`, kept in the data directory (0600), never in the state repo.
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HiyError } from '../model/errors.js';
import { SECRET_NAME } from '../model/names.js';
import { createFileExclusive, writeFileAtomic } from './atomic.js';

/** A stored secret as listings show it: never the value. */
export interface SecretEntry {
  name: string;
  updatedAt: string;
}

/** Reads secret values and digests them; what plan (digests) and apply (values) need from the store. */
export interface SecretSource {
  /** The value, or undefined when no secret of that name is set. */
  value(name: string): Promise<string | undefined>;
  /** Salted digest (HMAC-SHA256 with the store's random salt) of a value: safe to show, useless to guess from. */
  digest(value: string): Promise<string>;
}

export class SecretNameError extends HiyError {
  constructor(name: string) {
    super(
      'SECRET_NAME',
      `"${name}" is not a secret name: use letters, digits, ".", "_" and "-" (at most 128)`,
    );
    this.name = 'SecretNameError';
  }
}

/**
 * The store: `<dataDir>/secrets/values/NAME` (mode 0600, directory 0700) and `<dataDir>/secrets/salt`.
 * The salt makes the digests in labels and plans worthless for guessing a short password offline.
 */
export class SecretStore implements SecretSource {
  readonly dir: string;
  private salt?: Buffer;
  /** The salt this store makes when it first needs one; read-only digests use it before it is written. */
  private readonly candidate = randomBytes(32);

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'secrets');
  }

  private get valuesDir(): string {
    return join(this.dir, 'values');
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(this.valuesDir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  private fileOf(name: string): string {
    if (!SECRET_NAME.test(name)) throw new SecretNameError(name);
    return join(this.valuesDir, name);
  }

  async set(name: string, value: string): Promise<void> {
    const file = this.fileOf(name);
    await this.ensureDirs();
    // Mode 0600 from the first byte; a reader never sees half a value.
    await writeFileAtomic(file, value, { mode: 0o600 });
  }

  /**
   * Creates a secret unless one of that name exists (exclusive create, `src/store/atomic.ts`): two processes
   * racing store one value. Resolves true when this call created it.
   */
  async create(name: string, value: string): Promise<boolean> {
    const file = this.fileOf(name);
    await this.ensureDirs();
    return createFileExclusive(file, value, { mode: 0o600 });
  }

  async value(name: string): Promise<string | undefined> {
    try {
      return await readFile(this.fileOf(name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Removes a secret; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const file = this.fileOf(name);
    const existed = await stat(file).then(
      () => true,
      () => false,
    );
    await rm(file, { force: true });
    return existed;
  }

  async list(): Promise<SecretEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.valuesDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SecretEntry[] = [];
    for (const name of names.filter((n) => SECRET_NAME.test(n) && !n.endsWith('.tmp')).sort()) {
      const s = await stat(join(this.valuesDir, name));
      out.push({ name, updatedAt: s.mtime.toISOString() });
    }
    return out;
  }

  async digest(value: string): Promise<string> {
    const salt = await this.loadSalt();
    return createHmac('sha256', salt).update(value).digest('hex').slice(0, 32);
  }

  /** Creates the salt unless it exists; apply does it before planning, so its digests are the lasting ones. */
  async ensureSalt(): Promise<void> {
    await this.loadSalt();
  }

  /**
   * The store for planning, which writes nothing: values as stored, digests with the stored salt — or, before
   * the first apply made one, with the salt this store would create (not written: a plan and an apply of one
   * process agree; another process's apply plans again with the salt it stored).
   */
  readOnly(): SecretSource {
    return {
      value: (name) => this.value(name),
      digest: async (value) => {
        const salt = this.salt ?? (await this.readSalt()) ?? this.candidate;
        return createHmac('sha256', salt).update(value).digest('hex').slice(0, 32);
      },
    };
  }

  private async readSalt(): Promise<Buffer | undefined> {
    try {
      return Buffer.from((await readFile(join(this.dir, 'salt'), 'utf8')).trim(), 'hex');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async loadSalt(): Promise<Buffer> {
    if (this.salt) return this.salt;
    const file = join(this.dir, 'salt');
    try {
      this.salt = Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.ensureDirs();
      // Exclusive create (not writeFileAtomic, which would replace a salt another HIY process just made):
      // two processes starting at once agree on one salt, and a crash never leaves an empty one.
      await createFileExclusive(file, this.candidate.toString('hex'), { mode: 0o600 });
      this.salt = Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
    }
    return this.salt;
  }
}
