/**
 * Issue 21's done-when, as an operator meets it: `opscron init --from-runbook` on the sample
 * runbook (examples/harbor-books-runbook.md) writes the committed config byte for byte, it
 * validates, at least 90 % of the runbook's commands are mapped, the stderr table lists
 * exactly the others (each with why), and every proposed non-destructive job runs against
 * real parts: the suite's PostgreSQL and Redis, a local HTTP service, and the fake Kubernetes
 * API server (a stand-in, see its header) through the real client. The addresses are the
 * config's own `${VAR:-default}`s, pointed at the test servers through the environment.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { runbookToConfig } from '../../src/runbook/index.js';
import { runOpscron, tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { createDatabase } from '../support/services.mjs';

const RUNBOOK = 'examples/harbor-books-runbook.md';
const COMMITTED = 'examples/harbor-books-opscron.yaml';

/** The checkout and inventory services: health, metrics and the breaker reset, all on one port. */
function startService(): Promise<{ server: Server; url: string; posts: string[] }> {
  const posts: string[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.method === 'POST') posts.push(req.url ?? '');
    if (req.url === '/metrics') {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        `# TYPE http_requests_total counter\nhttp_requests_total{status="200"} ${1000 + requests * 10}\nhttp_requests_total{status="500"} 1\n`,
      );
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () =>
      r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts }),
    ),
  );
}

function seedCluster(kube: FakeKube): void {
  kube.addDeployment('shop', 'checkout', { image: 'ghcr.io/harborbooks/checkout:2.14.1' });
  const containers = [{ name: 'checkout', resources: { limits: { cpu: '2', memory: '4Gi' } } }];
  kube.addPod(
    'shop',
    {
      metadata: { name: 'checkout-7d9f-abcde', labels: { app: 'checkout' } },
      spec: { containers },
      status: { phase: 'Running', containerStatuses: [{ name: 'checkout', restartCount: 0, ready: true }] },
    },
    { checkout: { cpu: '250m', memory: '512Mi' } },
  );
  kube.setLogs('shop', 'checkout-7d9f-abcde', [
    '2026-12-01T10:00:00Z ERROR payment declined for order 1234',
    '2026-12-01T10:00:01Z INFO order 1235 placed',
  ]);
  kube.add({
    kind: 'ConfigMap',
    metadata: { name: 'checkout-config', namespace: 'shop' },
    data: { LOG_LEVEL: 'info' },
  });
}

describe('opscron init --from-runbook on the sample runbook', () => {
  let kube: FakeKube;
  let service: Awaited<ReturnType<typeof startService>>;
  let env: Record<string, string>;
  let dir: string;
  let written: string;
  let stderr: string;

  beforeAll(async () => {
    [kube, service] = await Promise.all([new FakeKube().start(), startService()]);
    seedCluster(kube);
    dir = tempDir('opscron-runbook-');
    env = {
      CHECKOUT_URL: service.url,
      INVENTORY_URL: service.url,
      CHECKOUT_DATABASE_URL: await createDatabase('runbook'),
      CACHE_REDIS_URL: process.env.OPSCRON_TEST_REDIS_URL!,
      INVENTORY_TOKEN: 'inventory-token-for-tests',
      ADMIN_TOKEN: 'admin-token-for-tests',
      KUBECONFIG: kube.kubeconfig(dir),
      OPSCRON_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    // Run from the repository, as the README shows it, so the header names the runbook as committed.
    const out = join(dir, 'opscron.yaml');
    const init = await runOpscron(['init', '--from-runbook', RUNBOOK, '--out', out], { cwd: resolve('.') });
    expect(init.code).toBe(0);
    written = readFileSync(out, 'utf8');
    stderr = init.stderr;
  });

  afterAll(async () => {
    await kube.stop();
    await new Promise((r) => service.server.close(r));
  });

  it('writes the committed config byte for byte, every time', async () => {
    expect(written).toBe(readFileSync(COMMITTED, 'utf8'));
    const again = join(dir, 'again.yaml');
    expect((await runOpscron(['init', '--from-runbook', RUNBOOK, '--out', again], { cwd: resolve('.') })).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(written);
    const refused = await runOpscron(['init', '--from-runbook', RUNBOOK, '--out', again], { cwd: resolve('.') });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/exists: say --force to overwrite it/);
  });

  it('validates, and copies no secret the runbook holds', async () => {
    const validate = await runOpscron(['validate', '--config', join(dir, 'opscron.yaml')], { cwd: dir, env });
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/^configuration OK: 25 jobs \(18 scheduled\), 2 services/);
    for (const secret of ['3f9c2a7d1e8b4f60', 's3cr3t-pg']) {
      expect(written).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });

  it('maps at least 90 % of the commands; the table lists exactly the others, each with why', () => {
    const { plan } = runbookToConfig(readFileSync(RUNBOOK, 'utf8'), RUNBOOK);
    const mapped = plan.commands - plan.unmapped.length;
    expect(mapped / plan.commands).toBeGreaterThanOrEqual(0.9);
    expect(stderr).toContain(`${mapped} of ${plan.commands} commands mapped (91 %) to 25 jobs; 3 not mapped:`);
    const rows = stderr.split('\n').filter((l) => /^\d+ {2}/.test(l));
    expect(rows.map((r) => Number(r.split(' ')[0]))).toEqual([100, 107, 128]);
    for (const row of rows) expect(row).toMatch(/ {2}\S.{10,}$/);
    // Honest: a line is either cited by a job or in the table, never both, never neither.
    const cited = [...written.matchAll(/line (\d+):/g)].map((m) => Number(m[1]));
    const runbookLines = readFileSync(RUNBOOK, 'utf8').split('\n');
    const commandLines = plan.unmapped.map((u) => u.line).concat(cited);
    expect(new Set(commandLines).size).toBe(plan.commands);
    for (const line of commandLines) expect(runbookLines[line - 1]).toMatch(/^[A-Za-z.$]|^PGPASSWORD/);
  });

  it('runs every proposed non-destructive job against the test services', async () => {
    const config = YAML.parse(written) as { jobs: { id: string; type: string; destructive?: boolean }[] };
    const safe = config.jobs.filter((j) => !j.destructive);
    expect(safe.map((j) => j.type)).toEqual(
      expect.arrayContaining(['health-check', 'error-rate', 'latency-check', 'resource-usage', 'rollout']),
    );
    const results: Record<string, string> = {};
    for (const job of safe) {
      // The runbook's error-rate window is 5 minutes between scrapes; a second is enough here.
      const tune = job.type === 'error-rate' ? ['--set', 'window=1s'] : [];
      const run = await runOpscron(['run', job.id, '--config', join(dir, 'opscron.yaml'), '--json', ...tune], {
        cwd: dir,
        env,
      });
      const status = run.stdout.startsWith('{') ? (JSON.parse(run.stdout) as { status: string }).status : run.stderr;
      results[job.id] = status;
    }
    // Each gives a verdict (nothing failed to run), and the ones the test services decide are pinned.
    const ok = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 'ok']));
    expect(results).toEqual({
      ...ok(['checkout-health', 'inventory-health', 'checkout-error-rate', 'checkout-latency']),
      ...ok(['resources-shop-checkout', 'checkout-rollout', 'logs-shop-checkout', 'checkout-reset-breakers']),
      ...ok(['checkout-db-health', 'checkout-clear-stuck', 'checkout-db-backup', 'checkout-backup-verify']),
      ...ok(['config-backup-shop', 'health-report', 'performance-report', 'compliance-report']),
      // The suite's Redis has no maxmemory (advice, a warning); its PostgreSQL database has no
      // pg_stat_statements (a finding saying how to enable it); the fake cluster has no PDB.
      'cache-health': expect.stringMatching(/^(ok|warning)$/),
      'cache-optimize': expect.stringMatching(/^(ok|warning)$/),
      'checkout-queries': 'warning',
      'audit-review': 'warning',
    });
    expect(service.posts).toEqual(['/admin/reset-breakers']);
    // Twenty `opscron run` processes one after another (the embedded store is one process's):
    // 20-50 s alone, past 60 s on a loaded machine.
  }, 240_000);
});

describe('opscron init from flags, and validate', () => {
  it('writes a starter config from --service, --database and --cache that validates', async () => {
    const dir = tempDir('opscron-init-');
    const out = join(dir, 'config', 'opscron.yaml');
    const init = await runOpscron(
      [
        'init',
        '--out',
        out,
        '--service',
        'shop=https://shop.example.com',
        '--database',
        'orders=postgres://app:pw@db:5432/orders',
        '--cache',
        'sessions=redis://cache:6379',
      ],
      { cwd: dir },
    );
    expect(init.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('url: ${ORDERS_DATABASE_URL:-postgres://app@db:5432/orders}');
    expect(text).not.toContain(':pw@');
    const validate = await runOpscron(['validate', '--config', out], { cwd: dir });
    expect(validate.stdout).toMatch(/^configuration OK: 7 jobs \(7 scheduled\), 1 services/);
    const bad = await runOpscron(['init', '--out', join(dir, 'x.yaml'), '--service', 'shop'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--service "shop": expected name=url/);
  });

  it('suggests the key meant for a typo', async () => {
    const dir = tempDir('opscron-typo-');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'services:\n  - name: shop\n    url: https://shop.example.com\n    helthPath: /healthz\n');
    const validate = await runOpscron(['validate', '--config', file], { cwd: dir });
    expect(validate.code).toBe(3);
    expect(validate.stderr).toMatch(
      /services\[0\]\.helthPath: unknown key — did you mean healthPath\? allowed here: name, url, healthPath,/,
    );
  });
});
