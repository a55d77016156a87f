import { readFileSync } from 'node:fs';
import { budgetRemaining, burnAlerts, burnRate, errorRate } from '../../src/analysis/error-rate.js';
import { parseExposition } from '../../src/analysis/prometheus-text.js';

const scrape = (name: string) => parseExposition(readFileSync(`test/fixtures/metrics/${name}`, 'utf8'));
const spec = { metric: 'http_requests_total', statusLabels: ['status', 'code'] };

describe('parseExposition', () => {
  it('reads samples, labels with escapes, timestamps and TYPE lines', () => {
    const { samples, types, errors } = scrape('checkout-1.prom');
    expect(errors).toEqual([]);
    expect(samples).toHaveLength(11);
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
    expect(samples.find((s) => s.name === 'build_info')!.labels).toEqual({ version: '2.4.1', commit: 'a1b"c\\d' });
    expect(samples.find((s) => s.labels.le === '+Inf')!.value).toBe(23391);
    expect(samples.find((s) => s.name === 'process_start_time_seconds')!.value).toBe(1795708800);
  });

  it('names each line it cannot read', () => {
    const { samples, errors } = parseExposition(
      'ok_metric 1\n{bad} 2\nno_value{a="b"}\nx{a=b} 3\ny 1 2 3\n# TYPE z flavour\n',
    );
    expect(samples.map((s) => s.name)).toEqual(['ok_metric']);
    expect(errors).toEqual([
      'line 2: expected a metric name',
      'line 3: no_value has no numeric value',
      'line 4: expected ="..." after label a',
      'line 5: unexpected text after the value of y',
      'line 6: malformed TYPE line',
    ]);
  });
});

describe('errorRate from two scrapes', () => {
  it('sums increases, counts 5xx, and treats a counter that went down as reset', () => {
    const rate = errorRate(scrape('checkout-1.prom').samples, scrape('checkout-2.prom').samples, spec, 100);
    // 900 + 180 + 60 (503) + 3 (400) + 3 (health reset: 991 → 3) + 5 (new 502 series)
    expect(rate).toEqual({ requests: 1151, errors: 65, ratio: 65 / 1151 });
  });

  it('gives no verdict below the minimum traffic', () => {
    const before = parseExposition('http_requests_total{code="200"} 10\n').samples;
    const after = parseExposition('http_requests_total{code="200"} 11\nhttp_requests_total{code="500"} 2\n').samples;
    expect(errorRate(before, after, spec, 10)).toEqual({ requests: 3, errors: 2, ratio: null });
  });
});

describe('burn rates (SRE workbook, SLO 99.9 %)', () => {
  it('computes burn and the budget left', () => {
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4);
    expect(budgetRemaining(0.0005, 0.999)).toBeCloseTo(0.5);
  });

  it('fires a rule only when its long and short windows both burn past its factor', () => {
    const slo = 0.999;
    expect(burnAlerts({ '1h': 0.02, '5m': 0.03, '6h': 0.004, '30m': 0.01 }, slo).map((a) => a.severity)).toEqual([
      'critical',
    ]);
    expect(burnAlerts({ '1h': 0.02, '5m': 0.001, '6h': 0.007, '30m': 0.008 }, slo).map((a) => a.severity)).toEqual([
      'warning',
    ]); // the 5 m window has recovered, so the 1 h rule is quiet
    expect(burnAlerts({ '1h': 0.02, '5m': null, '6h': null, '30m': 0.5 }, slo)).toEqual([]);
  });
});
