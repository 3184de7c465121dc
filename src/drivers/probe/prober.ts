// Health probes over the network: an HTTP GET or a TCP connect to a port published on 127.0.0.1.
import { connect } from 'node:net';
import { nodeFetch } from '../http/fetch.js';

export interface Prober {
  /** Resolves to the HTTP status, or throws when nothing answers. */
  httpGet(url: string, timeoutMs: number): Promise<number>;
  /** Resolves when a TCP connection is accepted, throws otherwise. */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<void>;
}

export const networkProber: Prober = {
  async httpGet(url, timeoutMs) {
    const res = await nodeFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  },
  tcpConnect(host, port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`tcp ${host}:${port}: timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.end();
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  },
};
