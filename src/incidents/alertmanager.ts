/**
 * Alertmanager in: its webhook payload (version 4) checked as untrusted input, and what each
 * alert does — pure. A firing alert fails the signal `am/<signalFrom label>` of the service
 * its `serviceLabel` names (at once: Alertmanager's rule had its own `for:`); a resolved one
 * recovers it once no alert of that signal is firing. The `am/` prefix keeps an alert from
 * ever moving a signal opscron's own checks feed.
 */
import { z } from 'zod';
import type { OpscronConfig } from '../config/schema.js';

const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 1024;
const MAX_ANNOTATION = 4096;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, {
  error: 'must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, at most 128 characters)',
});
const bounded = (max: number, what: string) =>
  z
    .record(labelName, z.string().max(what === 'labels' ? MAX_LABEL_VALUE : MAX_ANNOTATION))
    .refine((r) => Object.keys(r).length <= max, { error: `at most ${max} ${what}` });
// RFC 3339 as Alertmanager writes it (nanoseconds, an offset); "0001-01-01T00:00:00Z" for no end.
const instant = z
  .string()
  .max(64)
  .pipe(z.iso.datetime({ offset: true }));

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: bounded(MAX_LABELS, 'labels'),
  annotations: bounded(MAX_LABELS, 'annotations').default({}),
  startsAt: instant,
  endsAt: instant.optional(),
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/, { error: 'must be hexadecimal (Alertmanager’s fingerprint)' }),
  generatorURL: z.string().max(2048).optional(),
});
export type AlertmanagerAlert = z.output<typeof alertSchema>;

/** The payload; fields this version does not use are let through unread (Alertmanager may add some). */
export const payloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager’s webhook payload version)' }),
  groupKey: z.string().max(10_000),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1000),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  alerts: z.array(alertSchema).min(1).max(1000),
});
export type AlertmanagerPayload = z.output<typeof payloadSchema>;

/** What one alert asks of opscron, or why it is refused. */
export type AlertPlan =
  | {
      ok: true;
      fingerprint: string;
      service: string;
      signal: string;
      severity: 'critical' | 'warning';
      status: 'firing' | 'resolved';
      startsAt: Date;
      summary: string;
    }
  | { ok: false; fingerprint: string; reason: string };

const WARNING = new Set(['warning', 'warn', 'info', 'low', 'minor']);

export function planAlert(config: OpscronConfig, alert: AlertmanagerAlert, index: number): AlertPlan {
  const am = config.alertmanager;
  const where = `alerts[${index}].labels`;
  const refuse = (reason: string): AlertPlan => ({ ok: false, fingerprint: alert.fingerprint, reason });
  const named = alert.labels[am.serviceLabel];
  if (!named)
    return refuse(`${where}.${am.serviceLabel}: missing; it names the opscron service (alertmanager.serviceLabel)`);
  let service = named;
  if (!config.services.some((s) => s.name === named)) {
    if (am.unknownService === 'refuse')
      return refuse(
        `${where}.${am.serviceLabel}: "${named.slice(0, 100)}" is not a configured service; configured: ${config.services.map((s) => s.name).join(', ') || 'none'}`,
      );
    service = am.unknownService.mapTo;
  }
  const name = alert.labels[am.signalFrom];
  if (!name) return refuse(`${where}.${am.signalFrom}: missing; it names the signal (alertmanager.signalFrom)`);
  if (name.length > 100 || [...name].some((c) => c.charCodeAt(0) < 0x20) || !name.isWellFormed())
    return refuse(`${where}.${am.signalFrom}: at most 100 characters, no control characters`);
  const severity = WARNING.has((alert.labels[am.severityLabel] ?? '').toLowerCase()) ? 'warning' : 'critical';
  const text = alert.annotations.summary ?? alert.annotations.description ?? name;
  const summary = `${text.slice(0, 500)}${service !== named ? ` (service "${named.slice(0, 100)}")` : ''}`;
  return {
    ok: true,
    fingerprint: alert.fingerprint,
    service,
    signal: `am/${name}`,
    severity,
    status: alert.status,
    startsAt: new Date(alert.startsAt),
    summary,
  };
}
