import type { Runbook, RunEvent, RunView } from '../api/types';
import { edgeId } from './graph';

/** The colour classes of the viewer; the server's states (RuntimeViews.NodeStateView) map onto them. */
export type Shade = 'pending' | 'running' | 'succeeded' | 'failed' | 'waiting' | 'interrupted' | 'skipped';

export function shadeOf(state: string | undefined): Shade {
  switch (state) {
    case 'Running': case 'Sleeping': case 'Arrived': return 'running';
    case 'Succeeded': return 'succeeded';
    case 'Failed': return 'failed';
    case 'Waiting': return 'waiting';
    case 'Interrupted': return 'interrupted';
    case 'Skipped': case 'Cancelled': return 'skipped';
    default: return 'pending';
  }
}

/**
 * The connections the run took: from a node that ended with that outcome to a node that was reached. A node state
 * without an outcome (the server leaves it empty for a decided approval) falls back to its last journal entry's.
 */
export function takenEdges(runbook: Runbook, run: Pick<RunView, 'nodes' | 'journal'>): Set<string> {
  const byId = new Map(run.nodes.map(n => [n.nodeId, n]));
  const outcome = (id: string) => byId.get(id)?.outcome ?? [...run.journal].reverse().find(j => j.nodeId === id && j.outcome)?.outcome;
  const reached = (id: string) => { const s = byId.get(id)?.state; return s !== undefined && s !== 'NotStarted' && s !== 'Skipped'; };
  const taken = new Set<string>();
  for (const c of runbook.connections) {
    const ended = outcome(c.from);
    // Without any outcome on record, an edge into a reached node from an ended one is the only explanation.
    const took = ended !== undefined ? ended === c.outcome : byId.get(c.from)?.endedAt != null;
    if (took && reached(c.to)) taken.add(edgeId(c));
  }
  return taken;
}

/**
 * Applies one live event to the run. Events carry what changed (node, state, outcome, log line); the full
 * snapshot is re-read when the run or an approval changes, since those carry more than an event does.
 */
export function applyEvent(run: RunView, e: RunEvent): RunView {
  const nodes = run.nodes.map(n => {
    if (n.nodeId !== e.nodeId) return n;
    switch (e.kind) {
      case 'node.started': return { ...n, state: 'Running', attempts: e.attempt ?? n.attempts, startedAt: n.startedAt ?? e.atUtc, outcome: null, error: null };
      case 'node.ended': return { ...n, state: e.status ?? n.state, outcome: e.outcome ?? n.outcome, endedAt: e.atUtc };
      case 'approval.requested': return { ...n, state: 'Waiting' };
      default: return n;
    }
  });
  let journal = run.journal;
  if (e.kind === 'node.log' && e.nodeId) {
    const index = findLastIndex(journal, j => j.nodeId === e.nodeId && (e.attempt == null || j.attempt === e.attempt));
    if (index >= 0) {
      const entry = journal[index];
      journal = [...journal];
      journal[index] = { ...entry, log: (entry.log ? entry.log + '\n' : '') + (e.message ?? '') };
    }
  }
  const status = e.kind === 'run.ended' && e.status ? e.status : run.run.status;
  return { ...run, nodes, journal, run: { ...run.run, status } };
}

function findLastIndex<T>(items: T[], test: (t: T) => boolean) {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i;
  return -1;
}

/** Events after which the snapshot is re-read (journal entries, approvals and the run's end carry more than the event). */
export const refetchOn = new Set(['node.started', 'node.ended', 'approval.requested', 'approval.decided', 'run.ended']);

export const isFinished = (status: string) => ['Completed', 'Failed', 'Cancelled', 'Terminated'].includes(status);
