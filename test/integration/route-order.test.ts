// Routes are matched most specific first on a real Caddy: an exact host under a wildcard, and overlapping path
// prefixes, each answered by the right container whatever the resource names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

/** A Port whose busybox httpd answers its own name at /, /api/ and /api/v2/, routed at host + path. */
function namedPort(name: string, host: string, path = '/'): string {
  const script = `for d in /www /www/api /www/api/v2; do mkdir -p $d && echo ${name} > $d/index.html; done && exec httpd -f -p 8080 -h /www`;
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  routes:
    - host: "${host}"
      path: ${path}
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;
}

describe('route order on a real Caddy', () => {
  let h: Harness;

  before(async () => {
    // Named so that ordering by name would put the wildcard and the shorter paths first.
    h = await startHarness({
      'a-wild.yaml': namedPort('a-wild', '*.example.test'),
      'b-other.yaml': namedPort('b-other', 'other.example.test'),
      'c-api.yaml': namedPort('c-api', 'other.example.test', '/api'),
      'd-apiv2.yaml': namedPort('d-apiv2', 'other.example.test', '/api/v2'),
    });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  after(() => h.cleanup());

  it('answers each request from the most specific route', async () => {
    const body = async (host: string, path: string) => (await h.get(host, path)).body.trim();
    await waitFor(async () => (await body('other.example.test', '/')) === 'b-other', {
      what: 'other.example.test to be served by its own container',
      timeoutMs: 5000,
    });
    const answers = {
      'other.example.test/': await body('other.example.test', '/'),
      'other.example.test/api/': await body('other.example.test', '/api/'),
      'other.example.test/api/v2/': await body('other.example.test', '/api/v2/'),
      'other.example.test/apix/': (await h.get('other.example.test', '/apix/')).status,
      'x.example.test/': await body('x.example.test', '/'),
      'x.example.test/api/': await body('x.example.test', '/api/'),
    };
    assert.deepEqual(answers, {
      'other.example.test/': 'b-other',
      'other.example.test/api/': 'c-api',
      'other.example.test/api/v2/': 'd-apiv2',
      // A path prefix is a whole segment: /apix is b-other's (which has no such file).
      'other.example.test/apix/': 404,
      'x.example.test/': 'a-wild',
      'x.example.test/api/': 'a-wild',
    });
    assert.match((await h.hiy(['plan'])).out, /No changes/);
  });
});
