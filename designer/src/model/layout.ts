import dagre from '@dagrejs/dagre';
import type { LinkEdge, StepNode } from './graph';

export const nodeSize = { width: 220, height: 72 };

/** Left-to-right layered layout; every node counts as placed afterwards. */
export function autoLayout(nodes: StepNode[], edges: LinkEdge[]): StepNode[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.measured?.width ?? nodeSize.width, height: n.measured?.height ?? nodeSize.height });
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return nodes.map(n => {
    const p = g.node(n.id);
    return { ...n, position: { x: p.x - p.width / 2, y: p.y - p.height / 2 }, data: { ...n.data, placed: true } };
  });
}

/**
 * Columns by longest path from the start (linear time), rows in file order. Used when a runbook is opened with
 * unplaced nodes: dagre took 0.6-1.1 s for the 200-node benchmark runbook on this machine, too slow for opening
 * a page; the Auto-layout button still runs dagre.
 */
export function layeredLayout(nodes: StepNode[], edges: LinkEdge[]): StepNode[] {
  const next = new Map(nodes.map(n => [n.id, [] as string[]]));
  const waiting = new Map(nodes.map(n => [n.id, 0]));
  for (const e of edges)
    if (e.source !== e.target && next.has(e.source) && waiting.has(e.target)) {
      next.get(e.source)!.push(e.target);
      waiting.set(e.target, waiting.get(e.target)! + 1);
    }
  const column = new Map(nodes.map(n => [n.id, 0]));
  const ready = nodes.filter(n => waiting.get(n.id) === 0).map(n => n.id);
  for (let i = 0; i < ready.length; i++)
    for (const to of next.get(ready[i])!) {
      column.set(to, Math.max(column.get(to)!, column.get(ready[i])! + 1));
      waiting.set(to, waiting.get(to)! - 1);
      if (waiting.get(to) === 0) ready.push(to);
    }
  // Nodes on a cycle never become ready; they go one column past the rest.
  const last = Math.max(0, ...column.values());
  const rows = new Map<number, number>();
  return nodes.map(n => {
    const c = waiting.get(n.id)! > 0 ? last + 1 : column.get(n.id)!;
    const row = rows.get(c) ?? 0;
    rows.set(c, row + 1);
    return { ...n, position: { x: c * (nodeSize.width + 80), y: row * (nodeSize.height + 40) } };
  });
}

/** Only the nodes the file left unplaced are laid out; placed ones keep their positions. */
export function placeMissing(nodes: StepNode[], edges: LinkEdge[]): StepNode[] {
  if (nodes.every(n => n.data.placed)) return nodes;
  const laid = layeredLayout(nodes, edges);
  return nodes.map((n, i) => n.data.placed ? n : { ...n, position: laid[i].position });
}
