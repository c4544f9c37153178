import { useMemo } from 'react';
import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import type { Runbook } from '../api/types';
import { diffRunbooks, unionRunbook } from '../model/diff';
import { toGraph } from '../model/graph';
import { placeMissing } from '../model/layout';
import { nodeTypes } from '../StepNodeView';
import { useShownNodes } from '../useShownNodes';

/** Two versions on one read-only canvas: added green, removed red (struck), changed amber; edges likewise. */
export function DiffView({ before, after, onClose }: { before: Runbook; after: Runbook; onClose(): void }) {
  const { nodes, edges, counts } = useMemo(() => {
    const diff = diffRunbooks(before, after);
    const g = toGraph(unionRunbook(before, after));
    const counts = { added: 0, removed: 0, changed: 0 };
    for (const c of [...diff.nodes.values(), ...diff.edges.values()]) if (c !== 'same') counts[c]++;
    return {
      counts,
      nodes: placeMissing(g.nodes, g.edges).map(n => ({ ...n, data: { ...n.data, change: diff.nodes.get(n.id) } })),
      edges: g.edges.map(e => ({ ...e, className: `change-${diff.edges.get(e.id)}` })),
    };
  }, [before, after]);
  const [shown, onNodesChange] = useShownNodes(nodes);
  return (
    <div className="overlay" role="dialog" aria-label="Version diff">
      <div className="overlay-head">
        <b>v{before.version} → v{after.version}</b>
        <span className="legend"><i className="change-added">added {counts.added}</i> <i className="change-removed">removed {counts.removed}</i> <i className="change-changed">changed {counts.changed}</i></span>
        <button onClick={onClose}>Close</button>
      </div>
      <div className="overlay-canvas">
        <ReactFlowProvider>
          <ReactFlow nodes={shown} onNodesChange={onNodesChange} edges={edges} nodeTypes={nodeTypes} nodesDraggable={false} nodesConnectable={false} fitView colorMode="system">
            <Background /><Controls showInteractive={false} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </div>
  );
}
