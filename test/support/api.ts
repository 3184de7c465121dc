// One request to HIY's HTTP API with a bearer token (and a JSON body), for integration tests.
import { request } from 'node:http';

export interface ApiReply {
  status: number;
  text: string;
}

/** METHOD `path` of the API at `base`, authenticated as `token`; resolves with the status and the body text. */
export function apiRequest(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, base),
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(text ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          data += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}
