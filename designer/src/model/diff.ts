import type { Runbook, RunbookNode } from '../api/types';
import { edgeId } from './graph';

export type Change = 'added' | 'removed' | 'changed' | 'same';
export interface RunbookDiff { nodes: Map<string, Change>; edges: Map<string, Change> }

const content = (n: RunbookNode) => canonical({ ...n, position: undefined });

/** JSON with sorted keys and no undefined members: equal for equal content, whatever the key order. */
export const canonical = (v: unknown) => JSON.stringify(sorted(v));

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)]));
  return v;
}

/** What changed from `before` to `after`, per node id and per connection; a moved node alone is not a change. */
export function diffRunbooks(before: Runbook, after: Runbook): RunbookDiff {
  const nodes = new Map<string, Change>();
  const old = new Map(before.nodes.map(n => [n.id, n]));
  for (const n of after.nodes) {
    const o = old.get(n.id);
    nodes.set(n.id, !o ? 'added' : content(o) === content(n) ? 'same' : 'changed');
  }
  for (const n of before.nodes) if (!nodes.has(n.id)) nodes.set(n.id, 'removed');
  const edges = new Map<string, Change>();
  const oldEdges = new Set(before.connections.map(edgeId));
  for (const c of after.connections) edges.set(edgeId(c), oldEdges.has(edgeId(c)) ? 'same' : 'added');
  for (const id of oldEdges) if (!edges.has(id)) edges.set(id, 'removed');
  return { nodes, edges };
}

/** Both versions on one canvas: the newer one plus what the older one had and the newer lost. */
export function unionRunbook(before: Runbook, after: Runbook): Runbook {
  const ids = new Set(after.nodes.map(n => n.id));
  const edges = new Set(after.connections.map(edgeId));
  return {
    ...after,
    nodes: [...after.nodes, ...before.nodes.filter(n => !ids.has(n.id))],
    connections: [...after.connections, ...before.connections.filter(c => !edges.has(edgeId(c)))],
  };
}
