/** The runbook reader's pure parts on recorded inputs: markdown, shell words, recognisers, schedules, names. */
import { readFileSync } from 'node:fs';
import { readBlocks } from '../../src/runbook/markdown.js';
import { blockCommands, splitLine } from '../../src/runbook/shell.js';
import { recognise } from '../../src/runbook/recognise/index.js';
import { frequency, when } from '../../src/runbook/schedule.js';
import { connectionUrl, header, httpUrl } from '../../src/runbook/targets.js';
import { mask, runbookToConfig, unmappedTable } from '../../src/runbook/index.js';
import { share } from '../../src/runbook/recognise/args.js';
import { readKubeYaml, type KubeFacts } from '../../src/runbook/kube-yaml.js';
import { closest } from '../../src/config/suggest.js';
import type { Recognition, ShellCommand } from '../../src/runbook/types.js';

const fences = readFileSync('test/fixtures/runbook/fences.md', 'utf8');
const cmd = (text: string): ShellCommand => splitLine(text, 1)[0]!;
const proposals = (r: Recognition) => ('proposals' in r ? r.proposals : []);
const one = (text: string) => {
  const r = recognise(cmd(text), {});
  if ('unmapped' in r) throw new Error(`unmapped: ${r.unmapped}`);
  return r.proposals[0]!;
};
const why = (text: string, seen = {}) => {
  const r = recognise(cmd(text), seen);
  return 'unmapped' in r ? r.unmapped : undefined;
};

describe('markdown blocks', () => {
  const blocks = readBlocks(fences);

  it('reads ``` and ~~~ fences with their info strings, inside lists too, and skips indented code and other languages', () => {
    expect(blocks.map((b) => [b.kind, b.line, b.text.split('\n')[0]])).toEqual([
      ['shell', 10, 'curl -fsS https://payments.example.com/healthz'],
      ['shell', 14, 'curl -s https://payments.example.com/metrics \\'],
      ['shell', 21, 'echo "a fence inside: ```"'],
      ['shell', 31, '$ kubectl rollout undo deployment/payments -n pay'],
      ['shell', 36, 'kubectl logs -n pay -l app=payments --tail=500'],
      ['shell', 40, '# a comment'],
    ]);
  });

  it('keeps the heading path and the section prose of each block', () => {
    expect(blocks[0]!.headings.map((h) => [h.level, h.text, h.line])).toEqual([
      [1, 'Payments runbook', 1],
      [2, 'Daily checks', 5],
    ]);
    expect(blocks[0]!.prose).toBe('Check health:');
    expect(blocks[3]!.headings.map((h) => h.text)).toEqual(['Payments runbook', 'Incident response']);
  });
});

describe('shell commands', () => {
  it('joins continuations, cuts at pipes, &&, ; and keeps quoted words whole', () => {
    const [first] = blockCommands('curl -s https://x.example/metrics \\\n  | grep total', 5);
    expect(first).toMatchObject({
      argv: ['curl', '-s', 'https://x.example/metrics'],
      pipedTo: [['grep', 'total']],
      line: 5,
    });
    const two = splitLine('FOO=1 sudo curl -H "Authorization: Bearer $T" https://a.example/health && echo ok; date', 3);
    expect(two.map((c) => c.argv)).toEqual([
      ['curl', '-H', 'Authorization: Bearer $T', 'https://a.example/health'],
      ['echo', 'ok'],
      ['date'],
    ]);
    expect(two[0]!.env).toEqual({ FOO: '1' });
  });

  it('reads only the prompted lines of a console transcript, and skips comments and heredoc bodies', () => {
    const transcript = blockCommands('$ kubectl get pods\nNAME READY\n$ redis-cli ping\nPONG', 1);
    expect(transcript.map((c) => [c.argv[0], c.line])).toEqual([
      ['kubectl', 1],
      ['redis-cli', 3],
    ]);
    const heredoc = blockCommands('# note\ncat <<END > f\ncurl https://no.example/health\nEND\nls', 1);
    expect(heredoc.map((c) => c.argv[0])).toEqual(['cat', 'ls']);
  });

  it('folds $(...) into its word and drops redirect targets', () => {
    expect(cmd('pg_dump -Fc shop > /b/shop-$(date +%F).dump').argv).toEqual(['pg_dump', '-Fc', 'shop']);
    expect(cmd('tar czf b-$(date +%F).tgz dir').argv).toEqual(['tar', 'czf', 'b-$(date +%F).tgz', 'dir']);
  });
});

describe('recognisers', () => {
  it('curl /health and /metrics → one health-check of the service; a token becomes a variable', () => {
    expect(one('curl -fsS https://checkout.shop.example/health')).toMatchObject({
      id: 'checkout-health',
      type: 'health-check',
      params: { service: 'checkout' },
      services: [{ name: 'checkout', origin: 'https://checkout.shop.example', healthPath: '/health' }],
    });
    expect(one('curl https://checkout.shop.example/metrics').params).toEqual({
      service: 'checkout',
      scrapeMetrics: true,
    });
    const p = one('curl -k -m 5 -H "Authorization: Bearer abc123" https://api.orders.example/healthz');
    expect(p.params).toEqual({
      service: 'orders',
      headers: { Authorization: 'Bearer ${ORDERS_TOKEN}' },
      insecureSkipVerify: true,
      requestTimeout: '5s',
    });
    expect(JSON.stringify(p)).not.toContain('abc123');
  });

  it('POST …/reset-breakers → reset-breakers; other POSTs and variable URLs are unmapped with why', () => {
    expect(one('curl -X POST https://pay.example.com/admin/reset-breakers')).toMatchObject({
      type: 'reset-breakers',
      params: { services: ['pay'] },
      services: [{ breakerResetPath: '/admin/reset-breakers' }],
    });
    expect(why('curl -d x=1 https://pay.example.com/orders')).toMatch(/a POST to \/orders changes something/);
    expect(why('curl $BASE_URL/health')).toMatch(/shell variable/);
  });

  it('kubectl: top, rollout, logs, patch, config backups and audits', () => {
    expect(one('kubectl top pods -n shop -l app=web')).toMatchObject({
      type: 'resource-usage',
      params: { namespace: 'shop', labelSelector: 'app=web' },
    });
    expect(one('kubectl -n shop rollout status deploy/web')).toMatchObject({
      type: 'rollout',
      params: { namespace: 'shop', deployment: 'web' },
    });
    expect(one('kubectl rollout undo deployment web -n shop --to-revision=3')).toMatchObject({
      params: { action: 'undo', toRevision: 3 },
      destructive: true,
    });
    expect(one('kubectl logs deployment/web -n shop --tail=300 | grep -E "ERROR|FATAL"').params).toEqual({
      namespace: 'shop',
      labelSelector: 'app=web',
      tail: 300,
      errorPattern: 'ERROR|FATAL',
    });
    expect(one(`kubectl patch cm web-config -n shop -p '{"data":{"LOG_LEVEL":"debug"}}'`)).toMatchObject({
      type: 'debug-logging',
      params: { configMap: 'web-config', key: 'LOG_LEVEL', level: 'debug', namespace: 'shop' },
      destructive: true,
    });
    expect(one('kubectl get configmaps,secrets -n shop -o yaml').params).toEqual({
      kinds: ['configmaps', 'secrets'],
      namespaces: ['shop'],
    });
    expect(one('kubectl get clusterrolebindings -o wide').params).toEqual({ sections: ['access'] });
    expect(why('kubectl logs web-7d9f-abcde -n shop')).toMatch(/label selector/);
    expect(why('kubectl delete pod x')).toMatch(/changes the cluster by hand/);
  });

  it('redis-cli, psql and pg_dump → the cache and database jobs, passwords kept out', () => {
    expect(one('redis-cli -h cache.shop.internal -p 6380 -a hunter2 info')).toMatchObject({
      type: 'cache-health',
      caches: [{ name: 'cache', url: 'redis://cache.shop.internal:6380' }],
      secrets: [{ variable: 'CACHE_REDIS_URL' }],
    });
    expect(one("redis-cli --scan --pattern 'sess:*' | xargs redis-cli del")).toMatchObject({
      type: 'cache-clear',
      params: { pattern: 'sess:*', dryRun: false },
      destructive: true,
    });
    const dump = one('PGPASSWORD=pw pg_dump -h db.internal -U app -d orders');
    expect(dump).toMatchObject({
      type: 'db-backup',
      databases: [{ name: 'orders', url: 'postgres://app@db.internal:5432/orders' }],
      secrets: [{ variable: 'ORDERS_DATABASE_URL' }],
    });
    expect(one('psql postgres://u:secret@db/orders -c "select * from pg_stat_statements"')).toMatchObject({
      type: 'query-analysis',
      databases: [{ url: 'postgres://u@db/orders' }],
    });
    expect(why('psql -d orders -c "VACUUM FULL"')).toMatch(/maintenance statement/);
    expect(why('pg_restore -d orders x.dump')).toMatch(/opscron restore/);
  });

  it('pg_isready, redis-cli ping and nc -z after a service is named → dependencies its health check probes', () => {
    const seen = { service: 'web' };
    expect(proposals(recognise(cmd('pg_isready -h db.internal -p 5432 -d orders'), seen))[0]).toMatchObject({
      id: 'web-health',
      type: 'health-check',
      params: { service: 'web' },
      services: [{ name: 'web', dependencies: ['${ORDERS_DATABASE_URL:-postgres://db.internal:5432/orders}'] }],
      databases: [{ name: 'orders' }],
    });
    expect(proposals(recognise(cmd('redis-cli -h cache.internal ping'), seen))[0]).toMatchObject({
      services: [{ dependencies: ['${CACHE_REDIS_URL:-redis://cache.internal:6379}'] }],
    });
    expect(proposals(recognise(cmd('nc -zv db.internal 5432'), seen))[0]).toMatchObject({
      services: [{ dependencies: ['${DB_INTERNAL_ADDR:-tcp://db.internal:5432}'] }],
    });
    // With no service named before them they are checks of their own.
    expect(one('pg_isready -h db.internal -d orders')).toMatchObject({
      type: 'db-health',
      params: { database: 'orders' },
    });
    expect(why('nc -z db.internal 5432')).toMatch(/before the runbook names the service/);
  });

  it('scripts by name and arguments; a name that says nothing is unmapped', () => {
    expect(one('./scripts/check-error-rate.sh --service web --threshold=1% --window=5m').params).toEqual({
      service: 'web',
      threshold: 0.01,
      window: '5m',
    });
    expect(recognise(cmd('bash scripts/backup-db.sh'), { database: 'orders' })).toMatchObject({
      proposals: [{ type: 'db-backup', params: { database: 'orders' } }],
    });
    expect(why('./scripts/backup-db.sh')).toMatch(/does not say which database/);
    expect(why('./scripts/do-the-thing.sh')).toMatch(/does not say what it does/);
    expect(proposals(recognise(cmd('./scripts/clear-cache.sh --service web'), { cache: 'c' }))[0]).toMatchObject({
      type: 'cache-clear',
      params: { cache: 'c', pattern: 'web:*', dryRun: false },
      destructive: true,
    });
  });
});

describe('schedules, names and masking', () => {
  it('reads frequencies from headings and prose', () => {
    expect(frequency('Health checks (every 5 minutes)')).toBe('*/5 * * * *');
    expect(frequency('Backups (daily at 02:30)')).toBe('30 2 * * *');
    expect(frequency('Audit (weekly, Monday at 06:00)')).toBe('0 6 * * 1');
    expect(frequency('Monthly review')).toBe('@monthly');
    expect(frequency('Checks')).toBeUndefined();
    const h = (text: string, level: number) => ({ text, level, line: 1 });
    expect(when([h('Daily operations', 2), h('Incident response', 3)], '').schedule).toBeUndefined();
    expect(when([h('Incident response', 2), h('Hourly checks', 3)], '').schedule).toBe('@hourly');
  });

  it('takes credentials out of URLs and headers', () => {
    expect(httpUrl('https://u:p@svc.example/health')).toMatchObject({
      name: 'svc',
      secrets: [{ variable: 'SVC_URL' }],
    });
    expect(httpUrl('https://u:p@svc.example/health')!.url.toString()).toBe('https://svc.example/health');
    expect(header('X-Api-Key: k1', 'svc')).toMatchObject({ value: '${SVC_API_KEY}' });
    expect(header('Authorization: Bearer $ADMIN_TOKEN', 'svc')!.value).toBe('Bearer ${ADMIN_TOKEN}');
    expect(connectionUrl('redis://:pw@cache:6379/0', 'redis', 'redis_url')!.url).toBe('redis://cache:6379/0');
    expect(mask('curl -H "Authorization: Bearer abc" https://u:pw@x/ -a hunter2 PGPASSWORD=s')).toBe(
      'curl -H "Authorization: Bearer ***" https://u:***@x/ -a *** PGPASSWORD=***',
    );
    expect(share('1%')).toBe(0.01);
    expect(share('0.5')).toBe(0.5);
  });

  it('suggests the key meant for a typo', () => {
    expect(closest('helthPath', ['name', 'url', 'healthPath', 'metricsPath'])).toBe('healthPath');
    expect(closest('shcedule', ['id', 'schedule'])).toBe('schedule');
    expect(closest('frobnicate', ['id', 'schedule'])).toBeUndefined();
  });
});

describe("the runbook's Kubernetes YAML", () => {
  it('takes the audit policy from a Deployment and chart values from an HPA, ServiceMonitor and PrometheusRule', () => {
    const facts: KubeFacts = { chartValues: [] };
    readKubeYaml(
      [
        'kind: Deployment',
        'spec: {template: {spec: {containers: [{resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}}]}}}',
        '---',
        'kind: HorizontalPodAutoscaler',
        'spec: {minReplicas: 3, maxReplicas: 8, targetCPUUtilizationPercentage: 60}',
        '---',
        'kind: ServiceMonitor',
        'spec: {endpoints: [{interval: 30s}]}',
        '---',
        'kind: PrometheusRule',
        'spec: {groups: [{rules: [{alert: "HighErrorRate\\n# injected", expr: "errors / total > 0.05"}]}]}',
        '---',
        'not: [valid',
      ].join('\n'),
      facts,
    );
    expect(facts).toEqual({
      policy: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      chartValues: [
        'worker.autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 8, targetCPUUtilizationPercentage: 60 }',
        'serviceMonitor.interval: 30s',
        "prometheusRule.errorRateThreshold: 0.05  # the runbook's HighErrorRate injected",
      ],
    });
  });
});

describe('the whole reader', () => {
  it('is deterministic, maps what it can and lists every other command with why', () => {
    const a = runbookToConfig(fences, 'fences.md');
    expect(runbookToConfig(fences, 'fences.md').yaml).toBe(a.yaml);
    expect(a.plan.unmapped.map((u) => [u.line, u.command])).toEqual([
      [21, 'echo "a fence inside: ```"'],
      [41, 'cat <<END > /tmp/x'],
    ]);
    expect(a.plan.commands).toBe(6);
    expect(a.plan.jobs.map((j) => [j.id, j.schedule, j.destructive])).toEqual([
      ['payments-health', '@daily', false],
      ['payments-rollout-undo', undefined, true],
      ['logs-pay-payments', undefined, false],
    ]);
    expect(unmappedTable(a.plan)).toMatch(/^line +section +command +why not mapped\n21 +Daily checks +echo/);
    expect(a.yaml).not.toContain('inside-a-heredoc');
  });
});
