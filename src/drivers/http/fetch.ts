// A small fetch over node:http(s) for HIY's own HTTP calls (Caddy's admin API, health probes, notifications).
// Why not the global fetch: loading undici (even its Response class) compiles its WebAssembly HTTP parser, which
// keeps the daemon from running in V8's lite mode (about 20 MiB less resident memory; see docs/design.md).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  /** Lower-case header names; trailers (e.g. Caddy's ETag) are among them, as they arrived after the body. */
  headers: Record<string, string>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FetchLike = (url: string, init?: HttpInit) => Promise<HttpResponse>;

/** GET/POST… with no redirects followed and no keep-alive; aborting rejects with the signal's reason. */
export const nodeFetch: FetchLike = (input, init = {}) => {
  const url = new URL(input);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => req.destroy(signal?.reason as Error);
    const req = request(url, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks);
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
        for (const [k, v] of Object.entries(res.trailers)) if (v !== undefined) out[k] = v;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: out,
          text: async () => body.toString('utf8'),
          arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
        });
      });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end(init.body);
  });
};
