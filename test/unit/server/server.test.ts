// The API server's listen address: host:port, [v6]:port or :port, refused otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListenAddr } from '../../../src/server/server.js';

describe('server', () => {
  it('listen addresses', () => {
    assert.deepEqual(parseListenAddr('127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
    assert.deepEqual(parseListenAddr('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseListenAddr(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.throws(() => parseListenAddr('localhost'), /--api-addr must look like/);
  });
});
