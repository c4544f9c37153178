import type { Edge, Node } from '@xyflow/react';
import type { Runbook, RunbookConnection, RunbookNode } from '../api/types';

/** What a canvas node carries: the runbook node as written (its position lives on the canvas node). */
export interface StepData extends Record<string, unknown> {
  step: Omit<RunbookNode, 'position'>;
  /** False for a node the file placed nowhere: saving keeps it unplaced until someone moves it. */
  placed: boolean;
  /** The member order of the node as written, so saving does not reshuffle a hand-written file. */
  order?: string[];
}
export type StepNode = Node<StepData, 'step'>;
export interface LinkData extends Record<string, unknown> { outcome: string }
export type LinkEdge = Edge<LinkData>;

/** The part of a runbook that is not its graph (id, name, inputs, start, anything a newer server adds). */
export type RunbookHeader = Omit<Runbook, 'nodes' | 'connections'>;

export interface Graph { header: RunbookHeader; nodes: StepNode[]; edges: LinkEdge[] }

export const edgeId = (c: RunbookConnection) => `${c.from}:${c.outcome}->${c.to}`;

/**
 * The server writes absent optional members as null (`"title": null`); the designer treats them as absent, so a
 * loaded runbook compares equal to the file it came from. Node input values are left as they are.
 */
export function normalize(runbook: Runbook): Runbook {
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;
  const r = clean(runbook);
  return {
    ...r,
    inputs: r.inputs ? Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, clean(v)])) : r.inputs,
    nodes: (r.nodes ?? []).map(clean),
    connections: (r.connections ?? []).map(clean),
  };
}

export function toGraph(runbook: Runbook): Graph {
  const { nodes, connections, ...header } = runbook;
  return {
    header,
    nodes: nodes.map((n, i) => {
      const { position, ...step } = n;
      return {
        id: n.id, type: 'step' as const,
        // Unplaced nodes get a provisional spot; auto-layout places them properly when the graph is shown.
        position: position ? { x: position.x, y: position.y } : { x: 0, y: i * 100 },
        data: { step, placed: position !== undefined, order: Object.keys(n) },
      };
    }),
    edges: connections.map(c => ({
      id: edgeId(c), source: c.from, sourceHandle: c.outcome, target: c.to, label: c.outcome, data: { outcome: c.outcome },
    })),
  };
}

export function toRunbook(graph: Graph): Runbook {
  return {
    ...graph.header,
    nodes: graph.nodes.map(n => ordered(n.data.placed
      ? { ...n.data.step, position: { x: round(n.position.x), y: round(n.position.y) } }
      : { ...n.data.step }, n.data.order)),
    connections: graph.edges.map(e => ({ from: e.source, outcome: e.data?.outcome ?? e.sourceHandle ?? '', to: e.target })),
  };
}

function ordered(node: RunbookNode, order: string[] = []): RunbookNode {
  const keys = [...order.filter(k => k in node), ...Object.keys(node).filter(k => !order.includes(k))];
  return Object.fromEntries(keys.map(k => [k, node[k as keyof RunbookNode]])) as unknown as RunbookNode;
}

// Dragging leaves sub-pixel positions; whole numbers keep saved files readable and diffs quiet.
const round = (v: number) => Math.round(v * 100) / 100;

/** A fresh node id from the activity name that no node of the graph uses yet. */
export function newNodeId(activity: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = activity.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  for (let i = 1; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}
