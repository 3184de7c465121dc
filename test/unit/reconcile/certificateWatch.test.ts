// The daemon's certificate watch: a host's certificate that differs from what the last plan saw (a first
// issuance, a renewal) enqueues one run; nothing while it matches, nothing read while no Port asks for one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostCertificate } from '../../../src/model/routing.js';
import { startCertificateWatch } from '../../../src/reconcile/certificateWatch.js';
import { desired, port } from '../../support/fixtures.js';
import { waitFor } from '../../support/ports.js';

const HOST = 'mail.example.org';
const cert = (digest: string): HostCertificate => ({
  dir: `/caddy/certificates/local/${HOST}`,
  certFile: `${HOST}.crt`,
  keyFile: `${HOST}.key`,
  digest,
});
const withPort = desired([port('mail', { env: { DOMAIN: 'example.org' }, tls: { certificateFor: HOST } })]);
const withoutPort = desired([port('web')]);

function world() {
  const storage: Record<string, HostCertificate> = {};
  const reads: string[][] = [];
  const enqueued: string[] = [];
  const watch = startCertificateWatch({
    read: async (hosts) => {
      reads.push([...hosts]);
      return { ...storage };
    },
    enqueue: (host) => enqueued.push(host),
    intervalMs: 5,
  });
  const polls = async (n: number) => {
    const at = reads.length;
    await waitFor(async () => reads.length >= at + n, { what: `${n} polls`, timeoutMs: 5000, intervalMs: 2 });
  };
  return { storage, reads, enqueued, watch, polls };
}

describe('the certificate watch', () => {
  it('reads nothing while no Port asks for a certificate', async () => {
    const w = world();
    try {
      w.watch.update(withoutPort, {});
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(w.reads, []);
    } finally {
      await w.watch.stop();
    }
  });

  it('enqueues once when Caddy obtains the certificate the plan saw pending, then once per renewal', async () => {
    const w = world();
    try {
      w.watch.update(withPort, {});
      await w.polls(3);
      assert.deepEqual(w.enqueued, [], 'still pending, as planned');
      assert.deepEqual(w.reads.at(-1), [HOST]);
      w.storage[HOST] = cert('aaaaaaaaaaaaaaaa');
      await waitFor(async () => w.enqueued.length === 1, {
        what: 'an enqueue',
        timeoutMs: 5000,
        intervalMs: 2,
      });
      await w.polls(3);
      assert.deepEqual(w.enqueued, [HOST], 'one run per certificate until the next plan');
      // The run planned with it: nothing more until Caddy renews it.
      w.watch.update(withPort, { [HOST]: cert('aaaaaaaaaaaaaaaa') });
      await w.polls(3);
      assert.equal(w.enqueued.length, 1);
      w.storage[HOST] = cert('bbbbbbbbbbbbbbbb');
      await waitFor(async () => w.enqueued.length === 2, {
        what: 'a second enqueue',
        timeoutMs: 5000,
        intervalMs: 2,
      });
    } finally {
      await w.watch.stop();
    }
  });

  it('keeps polling after a failed read, and stops reading once stopped', async () => {
    let failing = true;
    const reads: number[] = [];
    const errors: unknown[] = [];
    const watch = startCertificateWatch({
      read: async () => {
        reads.push(Date.now());
        if (failing) throw new Error('EACCES');
        return { [HOST]: cert('aaaaaaaaaaaaaaaa') };
      },
      enqueue: () => {
        failing = true;
      },
      intervalMs: 5,
      onError: (err) => {
        errors.push(err);
        failing = false;
      },
    });
    watch.update(withPort, {});
    await waitFor(async () => errors.length > 0 && reads.length > 2, {
      what: 'polls after an error',
      timeoutMs: 5000,
      intervalMs: 2,
    });
    await watch.stop();
    const n = reads.length;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(reads.length, n);
  });
});
