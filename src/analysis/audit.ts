/**
 * The audit procedures as controls: each control is one finding whose `check` is the
 * control id — severity info when it passes, warning or critical when it fails — with
 * the offending resources as evidence and the remedy. Access control follows the CIS
 * Kubernetes Benchmark 5.1 checks kube-bench leaves manual; pod security follows Polaris;
 * reliability follows the runbook's resource policy. Pure: cluster objects in, controls out.
 *
 * One section a file under audit/: cluster.ts (the API objects read), control.ts (a control
 * as a finding), access.ts, security.ts, reliability.ts and operations.ts.
 */
export type { ClusterState } from './audit/cluster.js';
export { accessControls } from './audit/access.js';
export { securityControls } from './audit/security.js';
export { reliabilityControls, runbookPolicy, type ResourcePolicy } from './audit/reliability.js';
export { operationsControls, type OperationsInput } from './audit/operations.js';
