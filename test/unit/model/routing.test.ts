// The order Caddy tries HIY's routes in: most specific first, whatever the names (every route is terminal).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ProxyRoute, sortRoutes } from '../../../src/model/routing.js';

const route = (resource: string, host: string, path = '/'): ProxyRoute => ({
  resource: resource as ProxyRoute['resource'],
  host,
  path,
  upstream: '127.0.0.1:1',
});
const order = (routes: ProxyRoute[]) => sortRoutes(routes).map((r) => `${r.host}${r.path}`);

describe('sortRoutes', () => {
  it('puts an exact host before a wildcard that covers it, whatever the names', () => {
    // `*` sorts before letters: ordering by name alone sent other.example.test's requests to the wildcard.
    assert.deepEqual(
      order([route('port/z-other', 'other.example.test'), route('port/a-wild', '*.example.test')]),
      ['other.example.test/', '*.example.test/'],
    );
  });

  it('puts wildcards with more labels first, and longer paths first within a host', () => {
    const routes = [
      route('port/a', '*.example.test'),
      route('port/b', '*.example.test', '/static'),
      route('port/c', '*.deep.example.test'),
      route('port/d', 'x.example.test', '/'),
      route('port/e', 'x.example.test', '/api/v2'),
      route('port/f', 'x.example.test', '/api'),
      route('port/g', 'example.test'),
    ];
    const expected = [
      'example.test/',
      'x.example.test/api/v2',
      'x.example.test/api',
      'x.example.test/',
      '*.deep.example.test/',
      '*.example.test/static',
      '*.example.test/',
    ];
    assert.deepEqual(order(routes), expected);
    assert.deepEqual(order([...routes].reverse()), expected, 'the input order does not matter');
  });

  it('keeps the order among exact hosts by name (no reload for boxes without wildcards)', () => {
    assert.deepEqual(
      order([route('port/b', 'b.test'), route('port/a', 'a.b.test'), route('port/c', 'c.test')]),
      ['a.b.test/', 'b.test/', 'c.test/'],
    );
  });
});
