/**
 * Masks from configuration for log mining (Drain3's masking_instructions): each a pattern in
 * RE2 syntax, run in linear time (re2js) like every pattern opscron takes, and the name its
 * matches become — `<USER>` for `{pattern: 'user=\\S+', name: 'USER'}`. They come from the
 * configuration only: a trigger cannot change what is hidden from the report.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { linearRegex } from './pattern.js';

/** A mask as configured. */
export const logMask = z.strictObject({
  pattern: linearRegex,
  name: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a mask name: use 1 to 32 capitals, digits or _, starting with a capital (it becomes <NAME> in templates)`,
  }),
});

export type LogMask = z.output<typeof logMask>;

/** Compiled masks, in the order given, each replacing every match with `<NAME>`. */
export function compileMasks(masks: readonly LogMask[]): Array<{ replace(text: string): string }> {
  return masks.map(({ pattern, name }) => {
    const re = RE2JS.compile(pattern);
    const replacement = RE2JS.quoteReplacement(`<${name}>`);
    return { replace: (text: string) => re.matcher(text).replaceAll(replacement) };
  });
}
