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

/** Only the nodes the file left unplaced are laid out; placed ones keep their positions. */
export function placeMissing(nodes: StepNode[], edges: LinkEdge[]): StepNode[] {
  if (nodes.every(n => n.data.placed)) return nodes;
  const laid = autoLayout(nodes, edges);
  return nodes.map((n, i) => n.data.placed ? n : { ...n, position: laid[i].position });
}
