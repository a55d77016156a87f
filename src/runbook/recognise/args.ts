/** Reading a command's options (pure): `-n x`, `--namespace x`, `--namespace=x`, `-nx`. */

/** The value of the first of `names` given, in any of its spellings. */
export function option(argv: readonly string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    for (const name of names) {
      if (word === name) return argv[i + 1];
      if (name.startsWith('--') && word.startsWith(`${name}=`)) return word.slice(name.length + 1);
      if (/^-[A-Za-z]$/.test(name) && word.startsWith(name) && word.length > 2 && !word.startsWith('--'))
        return word.slice(2);
    }
  }
  return undefined;
}

/** Every value of a repeatable option (`-H a -H b`). */
export function options(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    for (const name of names) {
      if (word === name && argv[i + 1] !== undefined) out.push(argv[++i]!);
      else if (name.startsWith('--') && word.startsWith(`${name}=`)) out.push(word.slice(name.length + 1));
    }
  }
  return out;
}

/** Whether a flag is present (`-k`, `--insecure`, or inside a bundle such as `-fsSk`). */
export function flag(argv: readonly string[], names: readonly string[]): boolean {
  return argv.some((word) =>
    names.some((n) => word === n || (/^-[A-Za-z]$/.test(n) && /^-[A-Za-z]+$/.test(word) && word.includes(n[1]!))),
  );
}

/** The words that are not options, skipping the values of the options listed as taking one. */
export function positionals(argv: readonly string[], valued: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (valued.includes(word)) i++;
    else if (!word.startsWith('-') || word === '-') out.push(word);
  }
  return out;
}

/** `1%` → 0.01, `0.5` → 0.5 (a share), `2` → 0.02 (a percentage); undefined if not a number in (0, 1). */
export function share(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const value = m[2] || n >= 1 ? n / 100 : n;
  return value > 0 && value < 1 ? Math.round(value * 1e6) / 1e6 : undefined;
}

/** A duration opscron reads (`500ms`, `30s`, `5m`, `2h`, `7d`) or a bare number of seconds; undefined otherwise. */
export function durationText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,9}(ms|s|m|h|d)$/.test(text)) return text;
  if (/^\d{1,6}$/.test(text)) return `${text}s`;
  return undefined;
}

/** A positive integer, or undefined. */
export function count(text: string | undefined, max = 100_000): number | undefined {
  if (text === undefined || !/^\d{1,7}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= max ? n : undefined;
}
