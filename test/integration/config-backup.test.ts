/**
 * config-backup and its restore through the real client against the fake API server (a
 * stand-in; see its header): secrets never reach storage in plaintext, are refused without
 * a key, and fail clearly with the wrong one; a restore shows its diff first and applies
 * only with --confirm.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/configure.js';
import { configBackup, configBackupParams } from '../../src/jobs/config-backup.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';

const PLAIN = 's3cr3t-P4ss-9731';
const B64 = Buffer.from(PLAIN).toString('base64');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
const everything = (dir: string) =>
  files(dir)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');

describe('config-backup', () => {
  let kube: FakeKube;
  let kubeconfig: string;
  const saved = process.env.OPSCRON_ENCRYPTION_KEY;
  beforeAll(async () => {
    kube = await new FakeKube().start();
    kubeconfig = kube.kubeconfig(tempDir('cfg-kc-'));
    kube.add({
      kind: 'ConfigMap',
      metadata: {
        name: 'app-config',
        namespace: 'shop',
        labels: { app: 'checkout' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'payments' },
        managedFields: [{ manager: 'kubectl' }],
      },
      data: { LOG_LEVEL: 'info', FEATURE_X: 'on' },
    });
    kube.add({
      kind: 'Secret',
      metadata: { name: 'db-creds', namespace: 'shop' },
      type: 'Opaque',
      data: { password: B64, user: Buffer.from('checkout').toString('base64') },
    });
    kube.add({
      kind: 'Secret',
      metadata: { name: 'default-token-x1', namespace: 'shop' },
      type: 'kubernetes.io/service-account-token',
      data: { token: 'dG9rZW4=' },
    });
  });
  afterAll(async () => {
    await kube.stop();
    if (saved === undefined) delete process.env.OPSCRON_ENCRYPTION_KEY;
    else process.env.OPSCRON_ENCRYPTION_KEY = saved;
  });
  const backup = (dir: string) =>
    configBackup.run(
      jobContext(parseConfig({ kubernetes: { kubeconfig, namespaces: ['shop'] }, backups: { path: dir } })),
      configBackupParams.parse({}),
    );

  it('without OPSCRON_ENCRYPTION_KEY it backs up the ConfigMaps and refuses the Secrets, saying why', async () => {
    delete process.env.OPSCRON_ENCRYPTION_KEY;
    const dir = tempDir('cfg-nokey-');
    const outcome = await backup(dir);
    expect(outcome.status).toBe('critical');
    expect(outcome.findings[0]).toMatchObject({
      check: 'config-backup.secrets-refused',
      message: 'secrets not backed up: OPSCRON_ENCRYPTION_KEY is not set, and secrets are never written in plaintext',
    });
    expect(
      files(dir)
        .map((f) => f.split('/').pop())
        .sort(),
    ).toEqual(['configmaps.yaml', 'manifest.json']);
    expect(everything(dir)).not.toContain(B64);
  });

  it('with the key: secrets only encrypted, server fields stripped, then restored after a diff and --confirm', async () => {
    process.env.OPSCRON_ENCRYPTION_KEY = 'cluster backup key 2026';
    const dir = tempDir('cfg-key-');
    const outcome = await backup(dir);
    expect(outcome).toMatchObject({ status: 'ok', metrics: { objects: 2 } }); // the service-account token is not backed up
    const all = everything(dir);
    for (const plain of [PLAIN, B64]) expect(all).not.toContain(plain);
    const yaml = readFileSync(
      files(dir).find((f) => f.endsWith('configmaps.yaml'))!,
      'utf8',
    );
    expect(yaml).toContain('LOG_LEVEL: info');
    expect(yaml).toContain('team: payments');
    for (const field of ['resourceVersion', 'uid', 'managedFields', 'last-applied-configuration'])
      expect(yaml).not.toContain(field);
    const prefix = (outcome.findings[0]!.evidence as { prefix: string }).prefix;

    // Someone turns on debug logging and deletes the credentials.
    kube.add({
      ...kube.get('ConfigMap', 'shop', 'app-config')!,
      data: { LOG_LEVEL: 'debug', FEATURE_X: 'on', EXTRA: '1' },
    });
    kube.remove('Secret', 'shop', 'db-creds');
    const cwd = tempDir('cfg-cli-');
    const file = writeConfig(cwd, { kubernetes: { kubeconfig, namespaces: ['shop'] }, backups: { path: dir } });
    const env = { OPSCRON_ENCRYPTION_KEY: 'cluster backup key 2026' };
    const dry = await runOpscron(['restore', prefix, '--config', file], { cwd, env });
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout.trim().split('\n')).toEqual([
      'configmap/shop/app-config: LOG_LEVEL will change from "debug" to "info"',
      'configmap/shop/app-config: EXTRA will be removed',
      'secret/shop/db-creds: missing in the cluster, will be created',
      'dry run: add --confirm to apply these changes',
    ]);
    expect(dry.stdout).not.toContain(B64);
    expect(kube.get('ConfigMap', 'shop', 'app-config')!.data.LOG_LEVEL).toBe('debug'); // nothing applied

    const wrong = await runOpscron(['restore', prefix, '--config', file], {
      cwd,
      env: { OPSCRON_ENCRYPTION_KEY: 'guess' },
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(
      /cannot decrypt .*secrets\.yaml\.enc: wrong OPSCRON_ENCRYPTION_KEY, or its header was changed/,
    );
    expect(wrong.stderr).not.toContain('guess');

    const applied = await runOpscron(
      ['restore', prefix, '--confirm', '--reason', 'undo manual edit', '--config', file],
      { cwd, env },
    );
    expect(applied).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('restored 2 objects into namespace shop: configmap/app-config, secret/db-creds');
    expect(kube.get('ConfigMap', 'shop', 'app-config')!.data).toEqual({ LOG_LEVEL: 'info', FEATURE_X: 'on' });
    expect(kube.get('Secret', 'shop', 'db-creds')!.data.password).toBe(B64);
    const audit = JSON.parse((await runOpscron(['audit', '--json', '--config', file], { cwd })).stdout);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'restore',
        reason: 'undo manual edit',
        params: expect.objectContaining({ applied: ['configmap/app-config', 'secret/db-creds'] }),
      }),
    ]);
  });
  it('restores labels, annotations and binaryData too, and shows them in what would change', async () => {
    process.env.OPSCRON_ENCRYPTION_KEY = 'cluster backup key 2026';
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]).toString('base64');
    kube.add({
      kind: 'ConfigMap',
      metadata: {
        name: 'assets',
        namespace: 'shop',
        labels: { app: 'checkout', tier: 'web' },
        annotations: { owner: 'payments' },
      },
      data: { THEME: 'dark' },
      binaryData: { 'logo.png': png },
    });
    const dir = tempDir('cfg-meta-');
    const prefix = ((await backup(dir)).findings[0]!.evidence as { prefix: string }).prefix;
    // Someone relabels it, rewrites an annotation and swaps the logo; data stays the same.
    kube.add({
      ...kube.get('ConfigMap', 'shop', 'assets')!,
      metadata: {
        ...kube.get('ConfigMap', 'shop', 'assets')!.metadata,
        labels: { app: 'checkout', tier: 'batch', rogue: 'yes' },
        annotations: { owner: 'someone-else', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      binaryData: { 'logo.png': Buffer.from('tiny').toString('base64') },
    });
    const cwd = tempDir('cfg-meta-cli-');
    const file = writeConfig(cwd, { kubernetes: { kubeconfig, namespaces: ['shop'] }, backups: { path: dir } });
    const env = { OPSCRON_ENCRYPTION_KEY: 'cluster backup key 2026' };
    const dry = await runOpscron(['restore', prefix, '--object', 'configmap/assets', '--config', file], { cwd, env });
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout.trim().split('\n')).toEqual([
      'configmap/shop/assets: binaryData logo.png will change from 4 bytes to 8 bytes',
      'configmap/shop/assets: label tier will change from "batch" to "web"',
      'configmap/shop/assets: label rogue will be removed',
      'configmap/shop/assets: annotation owner will change from "someone-else" to "payments"',
      'dry run: add --confirm to apply these changes',
    ]);
    const applied = await runOpscron(
      ['restore', prefix, '--object', 'configmap/assets', '--confirm', '--config', file],
      { cwd, env },
    );
    expect(applied).toMatchObject({ code: 0 });
    const restored = kube.get('ConfigMap', 'shop', 'assets')!;
    expect(restored.metadata.labels).toEqual({ app: 'checkout', tier: 'web' });
    expect(restored.metadata.annotations).toEqual({ owner: 'payments' });
    expect(restored.binaryData).toEqual({ 'logo.png': png });
    expect(restored.data).toEqual({ THEME: 'dark' });
  });

  it('refuses to restore from a file that does not match its manifest checksum, naming it, and applies nothing', async () => {
    process.env.OPSCRON_ENCRYPTION_KEY = 'cluster backup key 2026';
    const dir = tempDir('cfg-sum-');
    const prefix = ((await backup(dir)).findings[0]!.evidence as { prefix: string }).prefix;
    const yamlFile = files(dir).find((f) => f.endsWith('configmaps.yaml'))!;
    writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace('THEME: dark', 'THEME: light'));
    kube.add({ ...kube.get('ConfigMap', 'shop', 'assets')!, data: { THEME: 'blue' } });
    const cwd = tempDir('cfg-sum-cli-');
    const file = writeConfig(cwd, { kubernetes: { kubeconfig, namespaces: ['shop'] }, backups: { path: dir } });
    const env = { OPSCRON_ENCRYPTION_KEY: 'cluster backup key 2026' };
    for (const args of [[], ['--confirm'], ['--object', 'configmap/assets', '--confirm']]) {
      const refused = await runOpscron(['restore', prefix, ...args, '--config', file], { cwd, env });
      expect(refused.code).toBe(3); // as for a wrong key or a corrupted database backup
      expect(refused.stderr).toContain(`refused: ${prefix}/configmaps.yaml does not match its manifest (SHA-256 `);
      expect(refused.stdout).toBe('');
    }
    expect(kube.get('ConfigMap', 'shop', 'assets')!.data).toEqual({ THEME: 'blue' });
    // The secrets file is intact: restoring only from it is not refused.
    const secretOnly = await runOpscron(['restore', prefix, '--object', 'secret/db-creds', '--config', file], {
      cwd,
      env,
    });
    expect(secretOnly).toMatchObject({ code: 0 });
  });
});
