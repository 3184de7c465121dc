// Asks an ACME directory (HIY_ACME_CA) whether it answers, trusting HIY_ACME_CA_ROOT: the daemon's start-up check.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { HiyError } from '../../model/errors.js';
import type { AcmeSettings } from '../../model/settings.js';

/** The ACME directory did not answer as one: unreachable, untrusted, not 200, or not a directory. */
export class AcmeDirectoryError extends HiyError<{ url: string }> {
  constructor(message: string, url: string) {
    super('ACME_DIRECTORY', message, { data: { url } });
    this.name = 'AcmeDirectoryError';
  }
}

/**
 * GETs the directory and checks it names `newNonce`, `newAccount` and `newOrder` (RFC 8555 §7.1.1). Rejects
 * with one line naming HIY_ACME_CA and why: a daemon that started anyway would fail every issuance quietly.
 */
export async function checkAcmeDirectory(
  acme: AcmeSettings & { ca: string },
  timeoutMs = 10_000,
): Promise<void> {
  const ca = acme.caRoot ? await readFile(acme.caRoot, 'utf8') : undefined;
  const fail = (why: string) =>
    new AcmeDirectoryError(`HIY_ACME_CA: the ACME directory ${acme.ca} does not answer: ${why}`, acme.ca);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(acme.ca, { method: 'GET', ...(ca ? { ca } : {}), timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text = (text + c).slice(0, 65_536);
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(text) : reject(fail(`HTTP ${res.statusCode} instead of 200`)),
      );
      res.on('error', (err) => reject(fail(err.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      const code = (err as { code?: string }).code;
      reject(fail(code === 'ECONNREFUSED' ? 'connection refused' : err.message));
    });
    req.end();
  });
  let dir: unknown;
  try {
    dir = JSON.parse(body);
  } catch {
    throw fail('the answer is not JSON');
  }
  const d = dir as Record<string, unknown> | null;
  if (
    !d ||
    typeof d !== 'object' ||
    ['newNonce', 'newAccount', 'newOrder'].some((k) => typeof d[k] !== 'string')
  )
    throw fail('the answer is not an ACME directory (no newNonce, newAccount, newOrder)');
}
