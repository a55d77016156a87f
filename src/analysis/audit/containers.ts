/** Every container of every workload, init containers too (they run with the same rights), with the pod spec around it. */
import { podSpecOf, workloadRef, type Container, type PodSpec, type Workload } from './cluster.js';

/** A container with the pod spec around it, named `kind/namespace/workload/container` in evidence. */
export interface PlacedContainer {
  spec: PodSpec;
  c: Container;
  at: string;
}

export function containersOf(workloads: Workload[]): PlacedContainer[] {
  return workloads.flatMap((w) => {
    const spec = podSpecOf(w);
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => ({
      spec,
      c,
      at: `${workloadRef(w)}/${c.name}`,
    }));
  });
}
