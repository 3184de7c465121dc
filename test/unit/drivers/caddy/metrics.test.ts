// Caddy's /metrics: the Prometheus text format parsed, and requests and 5xx per host (or per server on Caddy 2.6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, trafficByHost } from '../../../../src/drivers/caddy/metrics.js';

// As Caddy 2.6.2 prints it for a server with `metrics: {}` (trimmed).
const CADDY_26 = `# HELP caddy_http_request_duration_seconds Histogram of round-trip request durations.
# TYPE caddy_http_request_duration_seconds histogram
caddy_http_request_duration_seconds_bucket{code="200",handler="static_response",method="GET",server="s",le="0.005"} 1
caddy_http_request_duration_seconds_sum{code="200",handler="static_response",method="GET",server="s"} 5.7389e-05
caddy_http_request_duration_seconds_count{code="200",handler="static_response",method="GET",server="s"} 7
caddy_http_request_duration_seconds_count{code="502",handler="reverse_proxy",method="GET",server="s"} 2
caddy_http_request_duration_seconds_count{code="200",handler="reverse_proxy",method="POST",server="s"} 9
caddy_http_request_duration_seconds_count{code="200",handler="reverse_proxy",method="GET",server="other"} 100
caddy_http_requests_total{handler="static_response",server="s"} 7
caddy_admin_http_requests_total{code="200",handler="metrics",method="GET",path="/metrics"} 1
go_gc_duration_seconds{quantile="0.5"} NaN
process_start_time_seconds 1.7e+09
`;

describe('caddy metrics', () => {
  it('parses samples, labels, exponents and NaN, and skips comments', () => {
    const samples = parsePrometheusText(CADDY_26);
    assert.equal(samples.length, 10);
    assert.deepEqual(samples[1], {
      name: 'caddy_http_request_duration_seconds_sum',
      labels: { code: '200', handler: 'static_response', method: 'GET', server: 's' },
      value: 5.7389e-5,
    });
    assert.ok(Number.isNaN(samples.find((s) => s.name === 'go_gc_duration_seconds')!.value));
    assert.deepEqual(samples.at(-1), { name: 'process_start_time_seconds', labels: {}, value: 1.7e9 });
  });

  it('unescapes label values and skips malformed lines', () => {
    const samples = parsePrometheusText(
      'a{x="q\\"uote\\\\",y="n\\nl"} 1 1700000000000\nbroken{x=1} 2\nb{x="1"} notanumber\nc +Inf\n',
    );
    assert.deepEqual(samples, [
      { name: 'a', labels: { x: 'q"uote\\', y: 'n\nl' }, value: 1 },
      { name: 'c', labels: {}, value: Infinity },
    ]);
  });

  it('counts a server under `*` when Caddy gives no host, as its busiest handler', () => {
    const traffic = trafficByHost(parsePrometheusText(CADDY_26), 's');
    assert.deepEqual(traffic, { '*': { requests: 11, errors: 2 } });
    assert.deepEqual(trafficByHost(parsePrometheusText(CADDY_26), 'nosuch'), {});
  });

  it('counts per host when Caddy labels by host (per_host)', () => {
    const text = `caddy_http_request_duration_seconds_count{code="200",handler="reverse_proxy",host="a.example",method="GET",server="s"} 5
caddy_http_request_duration_seconds_count{code="503",handler="reverse_proxy",host="a.example",method="GET",server="s"} 1
caddy_http_request_duration_seconds_count{code="404",handler="reverse_proxy",host="b.example",method="GET",server="s"} 3
`;
    assert.deepEqual(trafficByHost(parsePrometheusText(text), 's'), {
      'a.example': { requests: 6, errors: 1 },
      'b.example': { requests: 3, errors: 0 },
    });
  });
});
