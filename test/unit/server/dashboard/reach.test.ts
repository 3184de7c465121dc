// How a resource is reached: route URLs as Caddy serves them (the HTTPS port when not 443) and published ports
// with their commands from the port declaration (ssh, sftp, psql without the password, mail host:port).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PortDeclaration } from '../../../../src/model/portContract.js';
import { boxHostOf, reachEntries, renderReach } from '../../../../src/server/dashboard/reach.js';

const TLS = { tls: 'internal' as const, httpAddr: ':80', httpsAddr: ':443' };
const decl = (ports: PortDeclaration['ports']): PortDeclaration => ({
  contract: 'v1',
  name: 'p',
  version: '1.0.0',
  dataVersion: 1,
  description: 'a port',
  env: {},
  volumes: [],
  ports,
  hooks: {},
  provides: {},
});
const tcp = (containerPort: number, hostPort: number, hostIP?: string) => ({
  containerPort,
  hostPort,
  protocol: 'tcp' as const,
  ...(hostIP && { hostIP }),
});

describe('dashboard reach', () => {
  it('routes: https URLs (with the port when not 443), the http redirect, and routes not served yet', () => {
    const entries = reachEntries({
      served: ['blog.example.org/', 'blog.example.org/api'],
      workload: {
        ports: [],
        env: {},
        routes: [
          { host: 'blog.example.org', path: '/', port: 8080 },
          { host: 'new.example.org', path: '/', port: 8080 },
        ],
      },
      settings: { tls: 'internal', httpAddr: '127.0.0.1:8080', httpsAddr: '127.0.0.1:8443' },
      boxHost: 'box',
    });
    assert.deepEqual(
      entries.map((e) => [e.address, e.href, e.note]),
      [
        [
          'https://blog.example.org:8443/',
          'https://blog.example.org:8443/',
          'http://blog.example.org:8080/ redirects to it',
        ],
        [
          'https://blog.example.org:8443/api',
          'https://blog.example.org:8443/api',
          'http://blog.example.org:8080/api redirects to it',
        ],
        [
          'https://new.example.org:8443/',
          'https://new.example.org:8443/',
          'not served yet (the next apply adds it); http://new.example.org:8080/ redirects to it',
        ],
      ],
    );
    const plain = reachEntries({
      served: ['a.test/'],
      settings: { tls: 'off', httpAddr: ':80', httpsAddr: ':443' },
      boxHost: 'box',
    });
    assert.deepEqual(
      plain.map((e) => [e.address, e.note]),
      [['http://a.test/', undefined]],
    );
  });

  it('published ports: ssh with the shell user, sftp with the declared user, psql without a password, mail host:port', () => {
    const shell = reachEntries({
      served: [],
      workload: { ports: [tcp(22, 2222)], routes: [], env: { USERNAME: 'demo' } },
      declaration: decl([{ containerPort: 22, protocol: 'tcp', description: 'SSH', http: false }]),
      settings: TLS,
      boxHost: 'hiy.example.org',
    });
    assert.deepEqual(shell, [
      { address: 'hiy.example.org:2222/tcp', what: 'SSH', command: 'ssh -p 2222 demo@hiy.example.org' },
    ]);
    const web = reachEntries({
      served: [],
      workload: { ports: [tcp(2222, 2022, '127.0.0.1')], routes: [], env: {} },
      declaration: decl([
        {
          containerPort: 2222,
          protocol: 'tcp',
          description: 'SFTP upload (user web, chrooted)',
          http: false,
        },
      ]),
      settings: TLS,
      boxHost: 'box',
    });
    assert.equal(web[0]?.command, 'sftp -P 2022 web@127.0.0.1');
    const pg = reachEntries({
      served: [],
      workload: {
        ports: [tcp(5432, 15432)],
        routes: [],
        env: { POSTGRES_USER: 'app', POSTGRES_DB: 'shop' },
        secretEnv: { POSTGRES_PASSWORD: 'hiy.generated.db.POSTGRES_PASSWORD' },
      },
      declaration: decl([{ containerPort: 5432, protocol: 'tcp', description: 'PostgreSQL', http: false }]),
      settings: TLS,
      boxHost: 'box',
    });
    assert.equal(pg[0]?.command, 'psql "postgresql://app@box:15432/shop"');
    assert.match(pg[0]?.note ?? '', /the secret hiy\.generated\.db\.POSTGRES_PASSWORD/);
    // Without a declaration: the service the number is known for.
    const mail = reachEntries({
      served: [],
      workload: { ports: [tcp(25, 2525), tcp(143, 2143), tcp(9000, 9000)], routes: [], env: {} },
      settings: TLS,
      boxHost: 'box',
    });
    assert.deepEqual(
      mail.map((e) => [e.what, e.command]),
      [
        ['SMTP', 'box:2525'],
        ['IMAP', 'box:2143'],
        ['container port 9000', 'box:9000'],
      ],
    );
  });

  it('renders an empty list as a sentence, and escapes what it shows', () => {
    assert.match(renderReach([]).text, /No routes and no published host ports/);
    const text = renderReach([{ address: 'a:1/tcp', what: '<b>x</b>', command: 'ssh "<x>"' }]).text;
    assert.doesNotMatch(text, /<b>x/);
    assert.match(text, /ssh &quot;&lt;x&gt;&quot;/);
  });

  it('the box host comes from the Host header without its port; anything odd is BOX', () => {
    assert.equal(boxHostOf('hiy.example.org:8443'), 'hiy.example.org');
    assert.equal(boxHostOf('127.0.0.1:7070'), '127.0.0.1');
    assert.equal(boxHostOf('[::1]:7070'), '[::1]');
    assert.equal(boxHostOf('evil"host'), 'BOX');
    assert.equal(boxHostOf(undefined), 'BOX');
  });
});
