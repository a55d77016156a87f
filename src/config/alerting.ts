/**
 * Config of what quiets and what feeds incidents from outside: the bounds of silences and
 * maintenance windows, and how an Alertmanager alert names its service and signal.
 */
import { z } from 'zod';
import { duration } from './duration.js';

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, {
  error: 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)',
});

export const silencesSchema = z
  .strictObject({
    /** Silences pending or active at once. */
    max: z.number().int().min(1).max(10_000).default(200),
    /** How long a fixed silence may last. */
    maxDuration: duration.default(30 * 86_400_000),
    /** How long one maintenance window may last... */
    maxWindow: duration.default(86_400_000),
    /** ...and for how long its schedule may recur. */
    maxWindowSpan: duration.default(366 * 86_400_000),
  })
  .default({ max: 200, maxDuration: 30 * 86_400_000, maxWindow: 86_400_000, maxWindowSpan: 366 * 86_400_000 });

export const alertmanagerSchema = z
  .strictObject({
    /** The label naming the opscron service an alert is about. */
    serviceLabel: labelName.default('service'),
    /** The label whose value names the signal (prefixed `am/`, so an alert never moves a check's own signal). */
    signalFrom: labelName.default('alertname'),
    /** The label carrying critical or warning. */
    severityLabel: labelName.default('severity'),
    /** An alert naming no configured service: refused, or joined to this service. */
    unknownService: z.union([z.literal('refuse'), z.strictObject({ mapTo: z.string().min(1) })]).default('refuse'),
    /** Alerts in one payload (Alertmanager's max_alerts on the receiver keeps under it). */
    maxAlerts: z.number().int().min(1).max(1000).default(100),
  })
  .default({
    serviceLabel: 'service',
    signalFrom: 'alertname',
    severityLabel: 'severity',
    unknownService: 'refuse',
    maxAlerts: 100,
  });
