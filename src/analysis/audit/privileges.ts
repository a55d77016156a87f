/**
 * CIS Kubernetes Benchmark 5.1.9–5.1.13 (kube-bench, manual): grants that reach past a
 * namespace — creating PersistentVolumes (a hostPath volume on any node), the kubelet API
 * through nodes/proxy, approving certificate requests (minting credentials), admission
 * webhooks (seeing or rewriting every object), and minting service-account tokens. Each
 * fails when someone other than Kubernetes' own components holds the grant.
 */
import type { Finding } from '../../model.js';
import { control, type ControlSpec } from './control.js';
import { violationsOf, type HeldRule, type Target } from './rbac.js';

interface PrivilegeSpec extends ControlSpec {
  verbs: string[];
  targets: Target[];
}

const ADMISSION = 'admissionregistration.k8s.io';

const PRIVILEGES: PrivilegeSpec[] = [
  {
    id: 'cis-5.1.9-create-pv',
    title: 'PersistentVolume creation limited to system subjects',
    severity: 'warning',
    remedy:
      'Remove create on persistentvolumes: a PersistentVolume can mount any hostPath. Provision through StorageClasses.',
    verbs: ['create'],
    targets: [{ group: '', resource: 'persistentvolumes' }],
  },
  {
    id: 'cis-5.1.10-node-proxy',
    title: 'no access to nodes/proxy',
    severity: 'critical',
    remedy:
      'Remove nodes/proxy: it reaches the kubelet API (exec in any pod on the node) past admission and audit logging.',
    // Any verb: get reads through the kubelet, create and others run commands through it.
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    targets: [{ group: '', resource: 'nodes/proxy' }],
  },
  {
    id: 'cis-5.1.11-csr-approval',
    title: 'certificate signing requests approved only by system subjects',
    severity: 'critical',
    remedy:
      'Remove update on certificatesigningrequests/approval: approving a CSR mints a credential for any user or group.',
    verbs: ['update', 'patch'],
    targets: [{ group: 'certificates.k8s.io', resource: 'certificatesigningrequests/approval' }],
  },
  {
    id: 'cis-5.1.12-webhooks',
    title: 'admission webhook configurations changed only by system subjects',
    severity: 'critical',
    remedy:
      'Remove create, update and patch on validating/mutatingwebhookconfigurations: a webhook sees, and may rewrite or block, every object.',
    verbs: ['create', 'update', 'patch'],
    targets: [
      { group: ADMISSION, resource: 'validatingwebhookconfigurations' },
      { group: ADMISSION, resource: 'mutatingwebhookconfigurations' },
    ],
  },
  {
    id: 'cis-5.1.13-sa-token',
    title: 'service-account token creation limited to system subjects',
    severity: 'warning',
    remedy:
      'Remove create on serviceaccounts/token: it mints a token for any service account in scope, and with it the rights of that account.',
    verbs: ['create'],
    targets: [{ group: '', resource: 'serviceaccounts/token' }],
  },
];

/** 5.1.9–5.1.13, in order. */
export const privilegeControls = (rules: HeldRule[]): Finding[] =>
  PRIVILEGES.map(({ verbs, targets, ...spec }) => control(spec, violationsOf(rules, verbs, targets), 'cluster'));
