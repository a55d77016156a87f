/**
 * The Helm chart with object storage (see helm-chart.test.ts for the chart as a whole and
 * test/support/helm.ts for the stand-in renderer): reports and backups in a bucket, so no
 * PersistentVolumeClaim and no volume shared between pods; the bucket settings reach
 * opscron's config, credentials only by reference (a Secret) or as the pod's identity.
 */
import YAML from 'yaml';
import { parseConfig } from '../../src/configure.js';
import { openStorage } from '../../src/integrations/storage-open.js';
import { byKind, chartRenderer, MODELS, named, type Obj, type Render } from '../support/helm.js';

describe('Helm chart with object storage', () => {
  let render: Render;
  beforeAll(() => {
    render = chartRenderer();
  });

  it('with object storage: the bucket in the config, credentials by reference or the pod identity, and no volume claim', () => {
    const objectStorage = {
      enabled: true,
      bucket: 'opscron-prod',
      prefix: 'prod/',
      region: 'eu-west-1',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/opscron',
      credentialsSecret: { name: 'opscron-s3' },
    };
    const { objects } = render({ objectStorage });
    expect(byKind(objects, 'PersistentVolumeClaim')).toEqual([]);
    for (const o of objects) expect(() => new MODELS[o.kind]!(o).validate()).not.toThrow();
    for (const d of byKind(objects, 'Deployment')) {
      const pod = d.spec.template.spec;
      // Nothing shared between pods: every volume is the pod's own (or the config).
      expect(pod.volumes.filter((v: Obj) => !v.emptyDir && !v.configMap)).toEqual([]);
      expect(pod.containers[0].env.filter((e: Obj) => e.name.startsWith('AWS_'))).toEqual([
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'opscron-s3', key: 'AWS_ACCESS_KEY_ID' } } },
        {
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 'opscron-s3', key: 'AWS_SECRET_ACCESS_KEY' } },
        },
      ]);
    }
    const config = parseConfig(YAML.parse(named(objects, 'ConfigMap', 'opscron').data['opscron.yaml']));
    expect(config.storage).toEqual({
      kind: 's3',
      bucket: 'opscron-prod',
      prefix: 'prod/',
      region: 'eu-west-1',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/opscron',
    });
    expect(openStorage(config, 'backups').location).toBe('s3://opscron-prod/prod/backups/');

    // The pod's identity instead of keys (EKS IRSA): no AWS_ variables, the role on the service account.
    const irsa = render({
      objectStorage: {
        ...objectStorage,
        credentialsSecret: { name: '' },
        endpoint: 'https://minio.example:9000',
        forcePathStyle: true,
      },
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/opscron' } },
    }).objects;
    const env = named(irsa, 'Deployment', 'opscron-worker').spec.template.spec.containers[0].env;
    expect(env.filter((e: Obj) => e.name.startsWith('AWS_'))).toEqual([]);
    expect(named(irsa, 'ServiceAccount', 'opscron').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/opscron',
    });
    expect(YAML.parse(named(irsa, 'ConfigMap', 'opscron').data['opscron.yaml']).storage).toMatchObject({
      endpoint: 'https://minio.example:9000',
      forcePathStyle: true,
    });
    expect(() => render({ objectStorage: { enabled: true } })).toThrow(/objectStorage.bucket is required/);
    // Off (the default), the claim is there as before.
    expect(byKind(render().objects, 'PersistentVolumeClaim')).toHaveLength(1);
  });
});
