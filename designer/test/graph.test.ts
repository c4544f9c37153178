import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runbook } from '../src/api/types';
import { newNodeId, normalize, toGraph, toRunbook } from '../src/model/graph';
import { autoLayout, layeredLayout, placeMissing } from '../src/model/layout';

const workflows = join(__dirname, '..', '..', 'workflows');
const files = readdirSync(workflows).filter(f => f.endsWith('.json'));

describe('runbook JSON <-> canvas graph', () => {
  it('finds the runbooks of workflows/', () => expect(files.length).toBeGreaterThanOrEqual(3));

  it.each(files)('%s survives the round trip unchanged, positions included', file => {
    const runbook = JSON.parse(readFileSync(join(workflows, file), 'utf8')) as Runbook;
    const graph = toGraph(normalize(runbook));
    expect(graph.nodes).toHaveLength(runbook.nodes.length);
    expect(graph.edges.map(e => [e.source, e.sourceHandle, e.target]))
      .toEqual(runbook.connections.map(c => [c.from, c.outcome, c.to]));
    expect(toRunbook(graph)).toEqual(runbook);
    expect(JSON.stringify(toRunbook(graph))).toEqual(JSON.stringify(runbook));
  });

  it('keeps a node the file left unplaced unplaced, until it is moved or laid out', () => {
    const runbook: Runbook = { id: 'r', version: 1, name: 'r', start: 'a', nodes: [{ id: 'a', activity: 'Log' }, { id: 'b', activity: 'Log', position: { x: 5, y: 6 } }],
      connections: [{ from: 'a', outcome: 'Done', to: 'b' }] };
    const graph = toGraph(runbook);
    const shown = { ...graph, nodes: placeMissing(graph.nodes, graph.edges) };
    expect(toRunbook(shown)).toEqual(runbook);
    expect(shown.nodes[1].position).toEqual({ x: 5, y: 6 });
    const laid = toRunbook({ ...graph, nodes: autoLayout(graph.nodes, graph.edges) });
    expect(laid.nodes.every(n => n.position !== undefined)).toBe(true);
    expect(laid.nodes[1].position!.x).toBeGreaterThan(laid.nodes[0].position!.x);
  });

  it('reads the server\'s nulls as absent members', () => {
    const served = { id: 'r', version: 2, name: 'r', description: null, start: 'a', inputs: { x: { type: 'integer', default: null, required: false, description: null } },
      nodes: [{ id: 'a', activity: 'Log', title: null, description: null, inputs: { message: 'm' }, retry: null, timeoutSeconds: null, position: null }], connections: [] };
    expect(toRunbook(toGraph(normalize(served as unknown as Runbook)))).toEqual({
      id: 'r', version: 2, name: 'r', start: 'a', inputs: { x: { type: 'integer', required: false } },
      nodes: [{ id: 'a', activity: 'Log', inputs: { message: 'm' } }], connections: [] });
  });

  it('places unplaced nodes in columns by their distance from the start, the branches of a Fork side by side', () => {
    const graph = toGraph({ id: 'r', version: 1, name: 'r', start: 'a', nodes: ['a', 'fork', 'x', 'y', 'join'].map(id => ({ id, activity: 'Log' })),
      connections: [{ from: 'a', outcome: 'Done', to: 'fork' }, { from: 'fork', outcome: 'Done', to: 'x' }, { from: 'fork', outcome: 'Done', to: 'y' },
        { from: 'x', outcome: 'Done', to: 'join' }, { from: 'y', outcome: 'Done', to: 'join' }] });
    const at = Object.fromEntries(layeredLayout(graph.nodes, graph.edges).map(n => [n.id, n.position]));
    expect([at.a.x < at.fork.x, at.fork.x < at.x.x, at.x.x === at.y.x, at.x.y !== at.y.y, at.join.x > at.x.x]).toEqual([true, true, true, true, true]);
  });

  it('names a new node after its activity, never reusing an id', () => {
    expect(newNodeId('WaitForApproval', [])).toBe('wait-for-approval-1');
    expect(newNodeId('Log', ['log-1', 'log-2'])).toBe('log-3');
  });
});
