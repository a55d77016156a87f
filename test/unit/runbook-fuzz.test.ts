/**
 * fast-check over the runbook reader: whatever markdown it is handed — runbook-shaped or
 * noise — it never throws (only a size refusal, saying so), gives the same YAML twice, and
 * what it writes passes the same validation as `opscron validate`; secrets never reach it.
 */
import fc from 'fast-check';
import { checkWritten } from '../../src/cli/commands/init.js';
import { jobTypes } from '../../src/jobs/index.js';
import { runbookToConfig } from '../../src/runbook/index.js';

const SECRET = 'Zq9SECRETx7';

const host = fc.constantFrom('checkout.shop.example', 'api.orders.example', '127.0.0.1:8080', 'u:pw@x.example', 'a..b');
const word = fc.oneof(
  fc.constantFrom(
    '-n',
    'shop',
    '-l',
    'app=web',
    '--tail=20',
    '|',
    '&&',
    ';',
    '\\\n',
    '"',
    "'",
    '$X',
    '${Y}',
    '$(date)',
    '#',
  ),
  fc.string({ maxLength: 12 }),
);
const command = fc.oneof(
  fc.constantFrom(
    './scripts/rollback.sh --service web',
    './scripts/clear-stuck.sh',
    'redis-cli -h c flushdb',
    `psql -d orders -c "select pg_terminate_backend(pid) from pg_stat_activity"`,
    'pg_isready -h db -d orders',
    'redis-cli ping',
    'nc -z db 5432',
  ),
  fc
    .tuple(fc.constantFrom('/health', '/metrics', '/admin/reset-breakers', '/x', ''), host, fc.boolean())
    .map(([path, h, post]) => `curl ${post ? '-X POST ' : ''}-H "Authorization: Bearer ${SECRET}" https://${h}${path}`),
  fc.constantFrom(
    'kubectl top pods -n shop -l app=web',
    'kubectl rollout status deployment/web -n shop',
    'kubectl rollout restart deploy/web -n shop',
    'kubectl logs -n shop -l app=web --tail=100 | grep -i error',
    `kubectl patch configmap web -n shop -p '{"data":{"LOG_LEVEL":"debug"}}'`,
    'kubectl get configmap,secret -n shop -o yaml',
    `redis-cli -h cache.internal -a ${SECRET} info`,
    "redis-cli --scan --pattern 'k:*' | xargs redis-cli del",
    `PGPASSWORD=${SECRET} pg_dump -h db -U app -d orders`,
    `psql postgres://app:${SECRET}@db/orders -c "select * from pg_stat_activity where state = 'idle in transaction'"`,
    './scripts/check-error-rate.sh --service web --threshold=2%',
    './scripts/clear-cache.sh --service web',
    './scripts/backup-db.sh',
    './scripts/whatever.sh',
  ),
  fc.array(word, { maxLength: 8 }).map((w) => w.join(' ')),
);
const heading = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  fc.constantFrom('Daily checks', 'Incident response', 'Every 5 minutes', 'Weekly at 03:00', 'Reporting', 'x'),
);
const block = fc.tuple(
  fc.constantFrom('```sh', '~~~bash', '```', '```console', '```yaml', '  ```sh'),
  fc.array(command, { maxLength: 5 }),
);
const piece = fc.oneof(
  heading.map(([level, text]) => `${'#'.repeat(level)} ${text}`),
  block.map(([fence, lines]) => `${fence}\n${lines.join('\n')}\n${fence.trim().slice(0, 3)}`),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('kind: Deployment\nspec: {template: {spec: {containers: [{resources: {}}]}}}', '---', '- list item'),
);
const runbook = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((p) => p.join('\n\n')),
  fc.string({ maxLength: 300 }),
);

describe('runbook reader (fuzz)', () => {
  it('never throws, is deterministic, writes only what validates, and never copies a secret', () => {
    fc.assert(
      fc.property(runbook, (markdown) => {
        const first = runbookToConfig(markdown, 'fuzz.md');
        expect(runbookToConfig(markdown, 'fuzz.md').yaml).toBe(first.yaml);
        expect(first.yaml).not.toContain(SECRET);
        expect(first.plan.commands).toBeGreaterThanOrEqual(first.plan.unmapped.length);
        const config = checkWritten(first.yaml, 'fuzz.yaml');
        // Whatever writes to a system (by its type's own rule) is marked so and never on a timer.
        for (const job of config.jobs) {
          const rule = jobTypes.get(job.type)!.destructive;
          if (typeof rule === 'function' ? rule(job.params) : rule === true)
            expect([job.id, job.destructive, job.schedule]).toEqual([job.id, true, undefined]);
        }
      }),
      { numRuns: 300, seed: Number(process.env.OPSCRON_FUZZ_SEED) || 2126 },
    );
  });

  it('refuses a runbook over 2 MiB, saying so', () => {
    expect(() => runbookToConfig('a'.repeat(2 * 1024 * 1024 + 1), 'big.md')).toThrow(/larger than 2 MiB/);
  });

  it.each([
    [
      'a 1 MB heading over 10,000 commands',
      `# ${'every day '.repeat(100_000)}\n\n\`\`\`sh\n${'echo x\n'.repeat(10_000)}\`\`\``,
    ],
    ['300,000 continuation lines', `\`\`\`sh\n${'a \\\n'.repeat(300_000)}\`\`\``],
    ['a 1.6 MB command line', `\`\`\`sh\ncurl ${'//a:'.repeat(400_000)}\n\`\`\``],
    ['100,000 nested quote markers', `${'>'.repeat(100_000)} x`],
    ['1.9 MB of YAML flow nesting', `\`\`\`yaml\n${'['.repeat(1_900_000)}\n\`\`\``],
    ['YAML blocks of 10,000 documents', `\`\`\`yaml\n${'kind: HorizontalPodAutoscaler\n---\n'.repeat(10_000)}\`\`\``],
  ])('reads %s in linear time', (_what, text) => {
    const started = performance.now();
    runbookToConfig(text, 'hostile.md');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reads a large runbook of many blocks in bounded time', () => {
    const text = Array.from(
      { length: 1500 },
      (_, i) => `## S${i}\n\n\`\`\`sh\ncurl https://s${i}.example/health\n\`\`\``,
    ).join('\n\n');
    const started = performance.now();
    const { plan } = runbookToConfig(text, 'many.md');
    expect(plan.jobs).toHaveLength(1500);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
