// Small HTTP helpers for the API: JSON replies, bounded bodies, errors that carry their status code.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HiyError } from '../model/errors.js';

/** An error that becomes an HTTP reply; status codes exist only in src/server. */
export class HttpError extends HiyError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    data?: Record<string, unknown>,
  ) {
    super(code, message, data ? { data } : {});
    this.name = 'HttpError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const headers: Record<string, string> =
    err.status === 401 ? { 'www-authenticate': 'Bearer realm="hiy"' } : {};
  sendJson(
    res,
    err.status,
    { error: { code: err.code, message: err.message, ...(err.data ?? {}) } },
    headers,
  );
}

/** The raw body, refused beyond `limit` bytes (webhook signatures are computed over exactly these bytes). */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'BODY_TOO_LARGE', `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body (empty means `{}`). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, 64 * 1024);
  if (raw.length === 0) return {};
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new HttpError(400, 'BAD_JSON', 'the body must be a JSON object');
}
