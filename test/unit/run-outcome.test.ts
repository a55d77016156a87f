/** A fan-out's per-target results, cut to what the history keeps. */
import { boundOutcome, OUTCOME_LIMITS } from '../../src/run-outcome.js';

describe('boundOutcome: per-target results', () => {
  const outcome = (targets: unknown) =>
    boundOutcome({ status: 'ok', summary: 's', findings: [], targets: targets as never });

  it('keeps each service, verdict and finite time; drops what is not one', () => {
    expect(
      outcome([
        { service: 'a', status: 'ok', ms: 12.345 },
        { service: 'b', status: 'critical' },
        { service: 'c', status: 'warning', ms: Number.NaN },
        { service: 'd', status: 'down', ms: 1 },
        { status: 'ok', ms: 1 },
        null,
        { service: 'e', status: 'ok', ms: -3 },
      ]).targets,
    ).toEqual([
      { service: 'a', status: 'ok', ms: 12.3 },
      { service: 'b', status: 'critical' },
      { service: 'c', status: 'warning' },
      { service: 'e', status: 'ok' },
    ]);
    expect(outcome(undefined).targets).toBeNull();
    expect(outcome('many').targets).toBeNull();
  });

  it('keeps at most OUTCOME_LIMITS.targets, with names cut to a label', () => {
    const many = Array.from({ length: OUTCOME_LIMITS.targets + 5 }, (_, i) => ({ service: `s-${i}`, status: 'ok' }));
    expect(outcome(many).targets).toHaveLength(OUTCOME_LIMITS.targets);
    expect(outcome([{ service: 'x'.repeat(1000), status: 'ok' }]).targets![0]!.service).toHaveLength(
      OUTCOME_LIMITS.label,
    );
  });
});
