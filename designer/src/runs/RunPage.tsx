import { useEffect, useMemo, useState } from 'react';
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow } from '@xyflow/react';
import type { ApiError } from '../api/client';
import { watchRun, type LiveMode } from '../api/events';
import { getRunbook } from '../api/runbooks';
import { cancelRun, getRun } from '../api/runs';
import type { Runbook, RunView } from '../api/types';
import { normalize, toGraph, type LinkEdge, type StepNode } from '../model/graph';
import { placeMissing } from '../model/layout';
import { applyEvent, isFinished, refetchOn, shadeOf, takenEdges } from '../model/runState';
import { ProblemBanner } from '../ProblemBanner';
import { Link } from '../router';
import { useSession } from '../session';
import { nodeTypes } from '../StepNodeView';
import { useShownNodes } from '../useShownNodes';
import { NodeDetails } from './NodeDetails';
import { Timeline } from './Timeline';

const none: StepNode[] = [];

export function RunPage({ runId, node }: { runId: string; node?: string }) {
  return <ReactFlowProvider><Viewer runId={runId} initialNode={node} /></ReactFlowProvider>;
}

function Viewer({ runId, initialNode }: { runId: string; initialNode?: string }) {
  const { can } = useSession();
  const flow = useReactFlow<StepNode, LinkEdge>();
  const [run, setRun] = useState<RunView>();
  const [runbook, setRunbook] = useState<Runbook>();
  const [error, setError] = useState<ApiError>();
  const [mode, setMode] = useState<LiveMode>('reconnecting');
  const [selected, setSelected] = useState<string | undefined>(initialNode);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let cancelled = false;
    setRun(undefined);
    getRun(runId).then(async r => {
      if (cancelled) return;
      setRun(r);
      setRunbook(normalize(await getRunbook(r.run.runbookId, r.run.runbookVersion)));
      requestAnimationFrame(() => flow.fitView({ padding: 0.2, maxZoom: 1.2 }));
    }, e => !cancelled && setError(e));
    return () => { cancelled = true; };
    // useReactFlow() is a new object on every render; the instance behind it is what counts.
  }, [runId]);

  // Live: apply each event at once, and re-read the snapshot when a node starts or ends (journal, approvals).
  useEffect(() => {
    let refetch: ReturnType<typeof setTimeout> | undefined;
    const stop = watchRun(runId, {
      onSnapshot: setRun,
      onEvent: e => {
        setRun(r => (r ? applyEvent(r, e) : r));
        if (refetchOn.has(e.kind)) { clearTimeout(refetch); refetch = setTimeout(() => getRun(runId).then(setRun, () => undefined), 100); }
      },
      onMode: setMode,
    }, r => isFinished(r.run.status));
    return () => { stop(); clearTimeout(refetch); };
  }, [runId]);

  useEffect(() => {
    if (!run || isFinished(run.run.status)) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [run]);

  const graph = useMemo(() => {
    if (!runbook || !run) return undefined;
    const g = toGraph(runbook);
    const states = new Map(run.nodes.map(n => [n.nodeId, n]));
    const taken = takenEdges(runbook, run);
    const finished = isFinished(run.run.status);
    const nodes = placeMissing(g.nodes, g.edges).map(n => {
      const s = states.get(n.id);
      const shade = shadeOf(s?.state);
      return {
        ...n, selected: n.id === selected, draggable: false, connectable: false,
        data: { ...n.data, shade, attempts: s?.attempts, dim: finished && shade === 'pending' },
      };
    });
    const edges = g.edges.map(e => {
      const on = taken.has(e.id);
      const source = states.get(e.source);
      // Once its source has ended, an edge it did not take is a branch not taken.
      const untaken = !on && source?.endedAt != null;
      return { ...e, animated: on && !finished, className: on ? 'taken' : untaken || finished ? 'untaken' : '' };
    });
    return { nodes, edges };
  }, [runbook, run, selected]);

  const [nodes, onNodesChange] = useShownNodes(graph?.nodes ?? none);

  if (error) return <ProblemBanner error={error} what={`run ${runId}`} />;
  if (!run || !graph) return <p className="centered">Loading run…</p>;

  const r = run.run;
  const elapsed = ((r.endedAt ? Date.parse(r.endedAt) : now) - Date.parse(r.startedAt)) / 1000;
  const status = r.waitingForApproval && !isFinished(r.status) ? 'Waiting for approval' : r.status;
  const cancel = async () => {
    if (!confirm(`Cancel run ${r.runId}? The node in flight is stopped and the rest skipped.`)) return;
    try { await cancelRun(r.runId); } catch (e) { setError(e as ApiError); }
  };
  return (
    <div className="viewer">
      <div className="toolbar">
        <h1>
          <span className={`run-status run-${r.status.toLowerCase()}`} data-status={r.status}>{status}</span>{' '}
          <Link to={`/runbooks/${encodeURIComponent(r.runbookId)}?version=${r.runbookVersion}`}>{runbook?.name ?? r.runbookId} v{r.runbookVersion}</Link>
          <small> · {r.clusterId ?? 'no cluster'} · started by {r.startedBy} · {formatSeconds(elapsed)}{r.dryRun ? ' · DRY RUN' : ''}</small>
        </h1>
        <span className={`live live-${mode}`} title="How this page follows the run">{mode === 'live' ? '● live' : mode === 'polling' ? 'polling every 2 s' : mode === 'ended' ? 'ended' : 'reconnecting…'}</span>
        <span className="spacer" />
        <button onClick={() => navigator.clipboard?.writeText(location.href)} title="Copy this run's link">Copy link</button>
        {can('operator') && !isFinished(r.status) && <button className="danger" onClick={cancel}>Cancel run</button>}
      </div>
      {r.error && <div className="problem">{r.error}</div>}
      <div className="workspace viewer-workspace">
        <div className="canvas">
          <ReactFlow nodes={nodes} onNodesChange={onNodesChange} edges={graph.edges} nodeTypes={nodeTypes} nodesDraggable={false} nodesConnectable={false}
            onNodeClick={(_, n) => setSelected(n.id)} onPaneClick={() => setSelected(undefined)} colorMode="system" minZoom={0.1}
            defaultEdgeOptions={{ type: 'smoothstep' }} onlyRenderVisibleElements={graph.nodes.length > 100}>
            <Background /><Controls showInteractive={false} /><MiniMap pannable zoomable nodeClassName={n => `mini-${(n.data as { shade?: string }).shade ?? ''}`} />
          </ReactFlow>
        </div>
        <aside className="side">
          {selected && runbook
            ? <NodeDetails run={run} runbook={runbook} nodeId={selected} onDecided={() => getRun(runId).then(setRun)} />
            : <p className="hint">Click a node for its attempts, outputs, error and live output.{r.waitingForApproval ? ' A node waits for approval (amber).' : ''}</p>}
        </aside>
      </div>
      <Timeline run={run} now={now} onPick={setSelected} />
    </div>
  );
}

export function formatSeconds(s: number) {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
