/** The colours of every report: one per health status, and the page's ink, rules and accent. */
import type { Health } from '../types.js';

/** Status colours (ok, warning, critical, no data) and the layout's ink, muted text, rules, accent and row band. */
export const COLORS: Record<Health | 'ink' | 'muted' | 'rule' | 'accent' | 'band', string> = {
  ok: '#2e7d32',
  warning: '#ef8f00',
  critical: '#c62828',
  nodata: '#9e9e9e',
  ink: '#1f2328',
  muted: '#57606a',
  rule: '#d0d7de',
  accent: '#0b5cad',
  band: '#f3f5f7',
};
