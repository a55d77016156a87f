/**
 * One signal — a (service, check) pair such as (checkout, error-rate) — and how each run's
 * outcome moves it. Pure: the store keeps the state, this decides the next one.
 *
 *                 critical run, streak < N                 healthy run, streak < M
 *                 ┌──────────┐                             ┌──────────┐
 *                 │          ▼                             │          ▼
 *             ┌─────────┐   N-th consecutive critical   ┌─────────┐
 *   start ──► │ healthy │ ─────────────────────────────►│ failing │──┐ critical run:
 *             └─────────┘        "failing"              └─────────┘  │ healthy streak
 *                  ▲    healthy run: critical streak = 0      │  ◄───┘ back to 0
 *                  │                                          │
 *                  └──────────────────────────────────────────┘
 *                       M-th consecutive healthy: "recovered"
 *
 * Healthy means ok or warning; a run that failed, timed out or was skipped says nothing
 * about the service and leaves the signal where it is. One blip does not page (N), and a
 * signal that flaps while failing does not recover (M), so it cannot open an incident per
 * flap.
 */
export type SignalHealth = 'healthy' | 'failing';

export interface SignalState {
  state: SignalHealth;
  badStreak: number;
  goodStreak: number;
  /** When the current streak of critical runs began (time to detect starts here). */
  firstBadAt: Date | null;
}

export type Transition = 'none' | 'failing' | 'recovered';

export const initialSignal: SignalState = { state: 'healthy', badStreak: 0, goodStreak: 0, firstBadAt: null };

/** What a run's status says about its signal: bad (critical), good (ok, warning) or nothing. */
export function verdictOf(status: string): 'bad' | 'good' | null {
  if (status === 'critical') return 'bad';
  if (status === 'ok' || status === 'warning') return 'good';
  return null;
}

export function step(
  current: SignalState,
  verdict: 'bad' | 'good',
  at: Date,
  thresholds: { openAfter: number; resolveAfter: number },
): { next: SignalState; transition: Transition } {
  if (verdict === 'bad') {
    const badStreak = current.badStreak + 1;
    const firstBadAt = current.badStreak === 0 ? at : current.firstBadAt;
    if (current.state === 'healthy' && badStreak >= thresholds.openAfter) {
      return { next: { state: 'failing', badStreak, goodStreak: 0, firstBadAt }, transition: 'failing' };
    }
    return { next: { ...current, badStreak, goodStreak: 0, firstBadAt }, transition: 'none' };
  }
  const goodStreak = current.goodStreak + 1;
  if (current.state === 'failing' && goodStreak >= thresholds.resolveAfter) {
    return { next: { state: 'healthy', badStreak: 0, goodStreak, firstBadAt: null }, transition: 'recovered' };
  }
  return {
    next: { ...current, badStreak: 0, goodStreak, firstBadAt: current.state === 'failing' ? current.firstBadAt : null },
    transition: 'none',
  };
}
