import { describe, expect, it } from 'vitest';
import { parseFrames } from '../src/api/events';
import { isDraft } from '../src/api/runbooks';
import { keyOf } from '../src/shortcuts';
import type { Runbook, RunView } from '../src/api/types';
import { diffRunbooks, unionRunbook } from '../src/model/diff';
import { History } from '../src/model/history';
import { applyEvent, shadeOf, takenEdges } from '../src/model/runState';
import { inputSchema } from '../src/runs/StartRun';

const v1: Runbook = {
  id: 'r', version: 1, name: 'r', start: 'a', nodes: [
    { id: 'a', activity: 'Log', inputs: { message: 'x' }, position: { x: 0, y: 0 } },
    { id: 'b', activity: 'WaitForApproval', inputs: { prompt: 'p' } }, { id: 'c', activity: 'Log', inputs: { message: 'c' } },
    { id: 'stop', activity: 'Fail', inputs: { message: 'no' } }],
  connections: [{ from: 'a', outcome: 'Done', to: 'b' }, { from: 'b', outcome: 'Approved', to: 'c' }, { from: 'b', outcome: 'Rejected', to: 'stop' }],
};

describe('version diff', () => {
  it('marks added, removed and changed nodes and edges; a move alone is no change', () => {
    const v2: Runbook = { ...v1, version: 2,
      nodes: [{ ...v1.nodes[0], position: { x: 50, y: 50 } }, { ...v1.nodes[1], inputs: { prompt: 'changed' } }, v1.nodes[2], { id: 'd', activity: 'Log', inputs: { message: 'd' } }],
      connections: [v1.connections[0], v1.connections[1], { from: 'c', outcome: 'Done', to: 'd' }] };
    const diff = diffRunbooks(v1, v2);
    expect(Object.fromEntries(diff.nodes)).toEqual({ a: 'same', b: 'changed', c: 'same', d: 'added', stop: 'removed' });
    expect(Object.fromEntries(diff.edges)).toEqual({ 'a:Done->b': 'same', 'b:Approved->c': 'same', 'c:Done->d': 'added', 'b:Rejected->stop': 'removed' });
    expect(unionRunbook(v1, v2).nodes.map(n => n.id)).toEqual(['a', 'b', 'c', 'd', 'stop']);
  });
});

describe('undo / redo', () => {
  it('steps back and forth through committed states; a new change drops the redo branch', () => {
    const h = new History<number>();
    h.push(1); h.push(2);
    expect(h.undo(3)).toBe(2);
    expect(h.undo(2)).toBe(1);
    expect(h.redo(1)).toBe(2);
    h.push(2);
    expect(h.canRedo).toBe(false);
  });
});

const run = (nodes: Partial<RunView['nodes'][number]>[], journal: Partial<RunView['journal'][number]>[] = []): RunView => ({
  run: { runId: 'run-1', runbookId: 'r', runbookVersion: 1, status: 'Running', dryRun: false, waitingForApproval: false, startedBy: 'x', startedAt: '2026-01-01T00:00:00Z' },
  inputs: {}, approvals: [],
  nodes: nodes.map(n => ({ nodeId: '', title: '', activity: 'Log', state: 'NotStarted', attempts: 0, ...n })),
  journal: journal.map((j, i) => ({ id: i, nodeId: '', attempt: 1, status: 'Succeeded', startedAt: '2026-01-01T00:00:00Z', ...j })),
});

describe('run state', () => {
  it('maps every server state to a colour', () => {
    expect(['NotStarted', 'Running', 'Sleeping', 'Succeeded', 'Failed', 'Waiting', 'Interrupted', 'Skipped', 'Cancelled'].map(shadeOf))
      .toEqual(['pending', 'running', 'running', 'succeeded', 'failed', 'waiting', 'interrupted', 'skipped', 'skipped']);
  });

  it('highlights the path taken: outcome edges into reached nodes, and not the branch not taken', () => {
    const r = run([
      { nodeId: 'a', state: 'Succeeded', outcome: 'Done', endedAt: 't' }, { nodeId: 'b', state: 'Succeeded', outcome: null, endedAt: 't' },
      { nodeId: 'c', state: 'Running' }, { nodeId: 'stop', state: 'NotStarted' }],
    [{ nodeId: 'b', outcome: 'Approved' }]);
    expect([...takenEdges(v1, r)]).toEqual(['a:Done->b', 'b:Approved->c']);
  });

  it('applies live events: a node starts, logs and ends', () => {
    let r = run([{ nodeId: 'a' }], [{ nodeId: 'a', attempt: 1, status: 'Running', log: 'first' }]);
    r = applyEvent(r, { sequence: 1, runId: 'run-1', kind: 'node.started', nodeId: 'a', attempt: 1, atUtc: 't1' });
    expect(r.nodes[0].state).toBe('Running');
    r = applyEvent(r, { sequence: 2, runId: 'run-1', kind: 'node.log', nodeId: 'a', attempt: 1, message: 'second', atUtc: 't2' });
    expect(r.journal[0].log).toBe('first\nsecond');
    r = applyEvent(r, { sequence: 3, runId: 'run-1', kind: 'node.ended', nodeId: 'a', status: 'Succeeded', outcome: 'Done', atUtc: 't3' });
    expect(r.nodes[0]).toMatchObject({ state: 'Succeeded', outcome: 'Done', endedAt: 't3' });
    r = applyEvent(r, { sequence: 4, runId: 'run-1', kind: 'run.ended', status: 'Completed', atUtc: 't4' });
    expect(r.run.status).toBe('Completed');
  });
});

describe('server-sent events', () => {
  it('splits frames, keeps the unfinished one, drops heartbeats', () => {
    const { frames, rest } = parseFrames('event: snapshot\ndata: {"a":1}\n\n: heartbeat\n\nid: 7\nevent: node.log\ndata: {"m":\ndata: 2}\n\nevent: node.ended\ndata: {"x"');
    expect(frames).toEqual([{ event: 'snapshot', data: '{"a":1}' }, { event: 'node.log', id: '7', data: '{"m":\n2}' }]);
    expect(rest).toBe('event: node.ended\ndata: {"x"');
  });
});

describe('start form', () => {
  it('is the runbook\'s declared inputs as a schema', () => {
    expect(inputSchema({ ...v1, inputs: { maxLagBytes: { type: 'integer', default: 0, required: true, description: 'bytes' } } })).toEqual({
      type: 'object', required: ['maxLagBytes'],
      properties: { maxLagBytes: { type: 'integer', title: 'maxLagBytes', description: 'bytes', default: 0 } },
    });
  });
});

describe('drafts and shortcuts', () => {
  it('reads a draft from whatever the server says about a version', () => {
    expect(isDraft({ status: 'Draft' })).toBe(true);
    expect(isDraft({ status: 'published' })).toBe(false);
    expect(isDraft({ published: false })).toBe(true);
    expect(isDraft({})).toBe(false);
  });

  it('names keys the way the pages register them', () => {
    expect(keyOf(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, shiftKey: true }))).toBe('mod+shift+z');
    expect(keyOf(new KeyboardEvent('keydown', { key: 's', metaKey: true }))).toBe('mod+s');
    expect(keyOf(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true }))).toBe('mod+enter');
    expect(keyOf(new KeyboardEvent('keydown', { key: '/' }))).toBe('/');
  });
});
