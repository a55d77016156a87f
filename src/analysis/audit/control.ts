/**
 * A control is one finding whose `check` is the control id: severity info when it passes,
 * its own severity when it fails, with every offending resource as evidence and the remedy.
 * One finding per control (rather than one per offender) is what lets the compliance report
 * list every control, passed or not, and compare it with the last report's.
 */
import type { Finding } from '../../model.js';

/** One offending resource and what is wrong with it. */
export interface Violation {
  resource: string;
  detail: string;
}

export interface ControlSpec {
  id: string;
  title: string;
  severity: 'warning' | 'critical';
  remedy: string;
}

/** The message names the first three offenders; the evidence keeps them all. */
const MESSAGE_OFFENDERS = 3;

/** One finding per control: passed (info) or failed with every violation as evidence. */
export function control(spec: ControlSpec, violations: Violation[], scope: string): Finding {
  if (!violations.length)
    return { severity: 'info', check: spec.id, resource: scope, message: `${spec.title}: passed`, evidence: [] };
  return {
    severity: spec.severity,
    check: spec.id,
    resource: violations[0]!.resource,
    message: `${spec.title}: ${countOf(violations)} — ${offenders(violations)}`,
    evidence: violations,
    remedy: spec.remedy,
  };
}

const countOf = (violations: Violation[]) => `${violations.length} violation${violations.length === 1 ? '' : 's'}`;

function offenders(violations: Violation[]): string {
  const named = violations
    .slice(0, MESSAGE_OFFENDERS)
    .map((v) => `${v.resource} (${v.detail})`)
    .join('; ');
  const rest = violations.length - MESSAGE_OFFENDERS;
  return rest > 0 ? `${named}; and ${rest} more` : named;
}
