// Reading the address a Caddy server could not bind out of the error Caddy answers a load with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindFailure } from '../../../../src/drivers/caddy/client.js';

describe('bindFailure', () => {
  it('finds the address as configured and why it failed', () => {
    assert.deepEqual(
      bindFailure(
        'loading config: loading new config: http app module: start: listening on :80: listen tcp :80: bind: address already in use',
      ),
      { addr: ':80', reason: 'the address is in use by another program' },
    );
    assert.deepEqual(
      bindFailure(
        'loading new config: http app module: start: listening on localhost:8443: listen tcp 127.0.0.1:8443: bind: permission denied',
      ),
      {
        addr: 'localhost:8443',
        reason: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE for Caddy)',
      },
    );
    assert.equal(
      bindFailure(
        'listening on tcp/10.9.9.9:80: listen tcp 10.9.9.9:80: bind: cannot assign requested address',
      )?.addr,
      '10.9.9.9:80',
    );
  });

  it('is undefined for other errors', () => {
    assert.equal(bindFailure('loading config: json: unknown field "listn"'), undefined);
  });
});
