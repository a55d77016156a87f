/**
 * NetworkPolicy coverage (Polaris' missingNetworkPolicy): a pod no NetworkPolicy selects
 * takes traffic from, and sends it to, anything in the cluster. A policy covers the pods its
 * podSelector selects in its own namespace; an empty podSelector selects every pod there.
 * What the policy allows is not judged here, only that some policy applies. Host-network
 * pods are left out: NetworkPolicy does not reach them (its behaviour there is undefined, and
 * most network plugins cannot tell them from the node), and polaris-host-namespaces fails them.
 */
import type { Finding } from '../../model.js';
import { podLabelsOf, podSpecOf, workloadRef, type NetworkPolicy, type Workload } from './cluster.js';
import { control } from './control.js';
import { selects } from './selector.js';

export const networkPolicyCoverage = (workloads: Workload[], policies: NetworkPolicy[]): Finding =>
  control(
    {
      id: 'polaris-network-policy',
      title: 'pods selected by a NetworkPolicy',
      severity: 'warning',
      remedy:
        "Add a NetworkPolicy in the namespace selecting the workload's pods (a default-deny with podSelector: {} and the flows it needs).",
    },
    workloads.flatMap((w) => {
      if (podSpecOf(w).hostNetwork === true) return [];
      const namespace = w.metadata?.namespace;
      const here = policies.filter((p) => p.metadata?.namespace === namespace);
      if (here.some((p) => selects(p.spec?.podSelector, podLabelsOf(w)))) return [];
      return [
        {
          resource: workloadRef(w),
          detail: here.length
            ? `none of the ${here.length} NetworkPolicies in ${namespace} selects its pods`
            : `namespace ${namespace} has no NetworkPolicy`,
        },
      ];
    }),
    'cluster',
  );
