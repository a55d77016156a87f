import { parseConfig } from '../../src/configure.js';
import { alertSchema, planAlert } from '../../src/incidents/alertmanager.js';

const base = {
  reports: { path: '/tmp/unused' },
  services: [{ name: 'shop', url: 'http://shop.internal' }],
};
const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') =>
  alertSchema.parse({
    status,
    labels,
    annotations: { summary: 'too many 5xx' },
    startsAt: '2026-12-01T09:59:30.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: 'ab12',
  });

describe('what an Alertmanager alert does', () => {
  const config = parseConfig(base);
  it('fails the am/<alertname> signal of the service it names, with its severity', () => {
    expect(planAlert(config, alert({ alertname: 'ShopErrors', service: 'shop', severity: 'warning' }), 0)).toEqual({
      ok: true,
      fingerprint: 'ab12',
      service: 'shop',
      signal: 'am/ShopErrors',
      severity: 'warning',
      status: 'firing',
      startsAt: new Date('2026-12-01T09:59:30.123Z'),
      summary: 'too many 5xx',
    });
    expect(planAlert(config, alert({ alertname: 'X', service: 'shop' }), 0)).toMatchObject({ severity: 'critical' });
    expect(planAlert(config, alert({ alertname: 'X', service: 'shop', severity: 'page' }), 0)).toMatchObject({
      severity: 'critical',
    });
  });
  it('refuses an alert naming no service, an unknown one, or no signal, saying which label', () => {
    expect(planAlert(config, alert({ alertname: 'X' }), 2)).toEqual({
      ok: false,
      fingerprint: 'ab12',
      reason: 'alerts[2].labels.service: missing; it names the opscron service (alertmanager.serviceLabel)',
    });
    expect(planAlert(config, alert({ alertname: 'X', service: 'billing' }), 0)).toMatchObject({
      ok: false,
      reason: 'alerts[0].labels.service: "billing" is not a configured service; configured: shop',
    });
    expect(planAlert(config, alert({ service: 'shop' }), 0)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/labels\.alertname: missing/),
    });
  });
  it('maps an unknown service to the catch-all when configured so, and reads other labels when told', () => {
    const mapped = parseConfig({
      ...base,
      alertmanager: { serviceLabel: 'app', signalFrom: 'rule', unknownService: { mapTo: 'shop' } },
    });
    expect(planAlert(mapped, alert({ rule: 'DiskFull', app: 'billing' }), 0)).toMatchObject({
      ok: true,
      service: 'shop',
      signal: 'am/DiskFull',
      summary: 'too many 5xx (service "billing")',
    });
  });
  it('refuses a catch-all that is not a service, at config load', () => {
    expect(() => parseConfig({ ...base, alertmanager: { unknownService: { mapTo: 'nope' } } })).toThrow(
      /alertmanager\.unknownService\.mapTo: "nope" — not in services/,
    );
  });
});
