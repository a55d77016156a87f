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

/** What a passing control still tells the reviewer: grants it allows by design, e.g. to named secrets only. */
export interface Noted {
  label: string;
  items: Violation[];
}

/**
 * One finding per control: passed (info) or failed with every violation as evidence. A
 * passing control with `noted` items says so in its message and keeps them as evidence.
 */
export function control(spec: ControlSpec, violations: Violation[], scope: string, noted?: Noted): Finding {
  if (!violations.length) {
    const note = noted?.items.length ? ` — ${noted.label}: ${offenders(noted.items)}` : '';
    return {
      severity: 'info',
      check: spec.id,
      resource: scope,
      message: `${spec.title}: passed${note}`,
      evidence: noted?.items ?? [],
    };
  }
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
