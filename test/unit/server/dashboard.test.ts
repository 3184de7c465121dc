// Pure parts of the dashboard: escaping, the overview's rendering, env edits, the Caddy route of the dashboard.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import type { StatusView } from '../../../src/engine/statusView.js';
import { dashboardRoute } from '../../../src/plan/plan.js';
import { LIVE_JS } from '../../../src/server/dashboard/assets.js';
import { parseEnvLines, planEdit } from '../../../src/server/dashboard/edit.js';
import { html } from '../../../src/server/dashboard/html.js';
import { renderOverview } from '../../../src/server/dashboard/overview.js';
import { flashOf, redirect } from '../../../src/server/dashboard/respond.js';

const PORT = `apiVersion: hiy/v1
kind: Port
metadata:
  name: web
spec:
  image: nginx
  env:
    A: "1"
    B: two
`;

describe('dashboard', () => {
  it('the live-update script is valid JavaScript', () => {
    assert.doesNotThrow(() => new Script(LIVE_JS));
  });

  it('escapes every value put into HTML', () => {
    const evil = '<script>alert("x")</script>';
    assert.equal(
      html`<p title="${evil}">${evil}</p>`.text,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
    assert.equal(html`${[html`<b>`, 'a&b']}${undefined}${false}`.text, '<b>a&amp;b');
  });

  it('renders the overview of what the viewer may see, escaped, with routes as links', () => {
    const view: StatusView = {
      stateRepo: '/srv/state',
      branch: 'main',
      head: 'a'.repeat(40),
      lastAppliedCommit: 'a'.repeat(40),
      stateErrors: 0,
      resources: [
        {
          id: 'app/blog',
          inStateRepo: true,
          container: { name: 'c', state: 'running', image: 'img<1>' },
          routes: ['blog.example.com/'],
          pending: false,
          certificateProblems: [
            'certificate secret "blog-cert" expires within 14 days (2026-01-05T00:00:00.000Z)',
          ],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Applied',
              message: 'ok',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      ],
      retainedVolumes: [],
      retainedOwners: {},
    };
    const out = renderOverview({
      view,
      lastDeploy: {},
      tls: 'acme',
      now: Date.parse('2026-01-01T00:01:00Z'),
    }).text;
    assert.match(out, /<a href="\/r\/app\/blog">blog<\/a>/);
    assert.match(out, /<a href="https:\/\/blog\.example\.com\/">blog\.example\.com\/<\/a>/);
    assert.match(out, /img&lt;1&gt;/);
    assert.match(out, /in sync with the head/);
    assert.match(
      out,
      /<span class="badge warn">certificate secret &quot;blog-cert&quot; expires within 14 days \(2026-01-05/,
    );
  });

  it('env edits: KEY=value lines, every bad line reported; set and unset in the resource’s file', () => {
    assert.deepEqual(parseEnvLines('A=1\n# note\n\nB=x=y\n'), { A: '1', B: 'x=y' });
    assert.throws(
      () => parseEnvLines('A\n=b\nC=1'),
      /line 1: expected KEY=value; line 2: expected KEY=value/,
    );
    const files = new Map([['web.yaml', PORT]]);
    const { changes, summary } = planEdit(
      files,
      { kind: 'Port', name: 'web' },
      { yaml: false, text: 'A=1\nC=3' },
    );
    assert.equal(summary, 'set C; unset B');
    assert.match(changes['web.yaml']!, /C: "?3"?/);
    assert.doesNotMatch(changes['web.yaml']!, /B: two/);
    assert.equal(
      planEdit(files, { kind: 'Port', name: 'web' }, { yaml: false, text: 'A=1\nB=two' }).summary,
      'no change',
    );
  });

  it('the dashboard route goes to the API address; wildcard listen addresses are reached on loopback', () => {
    const base = {
      instance: 'x',
      httpAddr: ':80',
      httpsAddr: ':443',
      tls: 'acme' as const,
      upstreamPorts: { from: 1, to: 2 },
    };
    assert.equal(dashboardRoute(base), undefined);
    assert.deepEqual(
      dashboardRoute({ ...base, dashboardHost: 'hiy.example.com', apiAddr: '127.0.0.1:7070' }),
      {
        resource: 'hiy/dashboard',
        host: 'hiy.example.com',
        path: '/',
        upstream: '127.0.0.1:7070',
      },
    );
    assert.equal(
      dashboardRoute({ ...base, dashboardHost: 'h', apiAddr: ':7070' })?.upstream,
      '127.0.0.1:7070',
    );
    assert.equal(
      dashboardRoute({ ...base, dashboardHost: 'h', apiAddr: '[::]:7070' })?.upstream,
      '[::1]:7070',
    );
  });

  it('flash messages are HIY’s own: a signed redirect shows, text put in the URL by anyone else does not', () => {
    let location = '';
    const res = {
      writeHead: (_status: number, headers: Record<string, string>) => {
        location = headers.location ?? '';
      },
      end: () => undefined,
    } as unknown as ServerResponse;
    redirect(res, '/r/app/blog?err=1', 'Rollback of app/blog failed.');
    const url = new URL(location, 'http://hiy');
    assert.deepEqual(flashOf(url), { text: 'Rollback of app/blog failed.', error: true });
    // Forged: another text, a flipped error flag, no signature, or a signature of another text.
    const forged = (change: (q: URLSearchParams) => void) => {
      const u = new URL(url);
      change(u.searchParams);
      return flashOf(u);
    };
    assert.equal(
      forged((q) => q.set('msg', 'Session expired: sign in again at https://evil.example')),
      undefined,
    );
    assert.equal(
      forged((q) => q.delete('err')),
      undefined,
    );
    assert.equal(
      forged((q) => q.delete('sig')),
      undefined,
    );
    assert.equal(flashOf(new URL('http://hiy/?msg=Signed%20in%20as%20admin.')), undefined);
  });
});
