/** The signal state machine: N critical runs to fail, M healthy runs to recover, no flapping. */
import { initialSignal, step, verdictOf, type SignalState } from '../../src/incidents/signal.js';

const thresholds = { openAfter: 2, resolveAfter: 3 };

function play(verdicts: string): { transitions: string[]; state: SignalState } {
  let state = initialSignal;
  const transitions: string[] = [];
  [...verdicts].forEach((v, i) => {
    const r = step(state, v === 'x' ? 'bad' : 'good', new Date(Date.UTC(2026, 10, 26, 0, i)), thresholds);
    state = r.next;
    if (r.transition !== 'none') transitions.push(`${i}:${r.transition}`);
  });
  return { transitions, state };
}

describe('signal state machine', () => {
  it('one blip does not open: it takes N consecutive critical runs', () => {
    expect(play('x.x.x.').transitions).toEqual([]);
    expect(play('..xx').transitions).toEqual(['3:failing']);
  });

  it('remembers when the streak began, for time to detect', () => {
    const { state } = play('..xxx');
    expect(state).toMatchObject({ state: 'failing', badStreak: 3, firstBadAt: new Date(Date.UTC(2026, 10, 26, 0, 2)) });
  });

  it('a failing signal that flaps does not recover until M healthy runs in a row', () => {
    expect(play('xx.x..x..x...').transitions).toEqual(['1:failing', '12:recovered']);
  });

  it('fails again only after a fresh streak of N', () => {
    expect(play('xx...x.xx').transitions).toEqual(['1:failing', '4:recovered', '8:failing']);
  });

  it('only critical is bad; ok and warning are healthy; failed or skipped runs say nothing', () => {
    expect(['critical', 'ok', 'warning', 'failed', 'timeout', 'skipped'].map(verdictOf)).toEqual([
      'bad',
      'good',
      'good',
      null,
      null,
      null,
    ]);
  });
});
