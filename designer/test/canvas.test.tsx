import { cleanup, render } from '@testing-library/react';
import { ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogContext } from '../src/catalog';
import { toGraph } from '../src/model/graph';
import { nodeTypes } from '../src/StepNodeView';
import { activities } from './catalog';

afterEach(cleanup);

function renderNodes(nodes: ReturnType<typeof toGraph>['nodes']) {
  return render(
    <CatalogContext.Provider value={activities}>
      <ReactFlowProvider>
        <div style={{ width: 800, height: 600 }}><ReactFlow nodes={nodes} edges={[]} nodeTypes={nodeTypes} /></div>
      </ReactFlowProvider>
    </CatalogContext.Provider>,
  );
}

describe('a node on the canvas', () => {
  const graph = toGraph({ id: 'r', version: 1, name: 'r', start: 'approve', connections: [], nodes: [
    { id: 'approve', activity: 'WaitForApproval', title: 'Promote?', position: { x: 0, y: 0 } },
    { id: 'fork', activity: 'Fork', position: { x: 300, y: 0 } },
    { id: 'note', activity: 'Log', position: { x: 600, y: 0 } },
  ] });

  it('has one labelled output handle per declared outcome and one input', () => {
    const { container } = renderNodes(graph.nodes);
    const approve = container.querySelector('[data-node=approve]')!;
    expect([...approve.querySelectorAll('.react-flow__handle.source')].map(h => h.getAttribute('data-handleid'))).toEqual(['Approved', 'Rejected', 'TimedOut']);
    expect([...approve.querySelectorAll('.outcome-label')].map(l => l.textContent)).toEqual(['Approved', 'Rejected', 'TimedOut']);
    expect(approve.querySelectorAll('.react-flow__handle.target')).toHaveLength(1);
  });

  it('draws Fork as a flow node, not as a work step', () => {
    const { container } = renderNodes(graph.nodes);
    expect(container.querySelector('[data-node=fork]')!.className).toContain('flow-fork');
    expect(container.querySelector('[data-node=note]')!.className).not.toContain('flow');
  });

  it('shows problems on the node they belong to only', () => {
    const marked = graph.nodes.map(n => (n.id === 'note' ? { ...n, data: { ...n.data, issues: ['inputs.message: Log requires input \'message\''] } } : n));
    const { container } = renderNodes(marked);
    expect(container.querySelector('[data-node=note] .badge-issue')!.textContent).toBe('1 problem');
    expect(container.querySelector('[data-node=approve] .badge-issue')).toBeNull();
  });

  it('shows a run state as a class and badge', () => {
    const running = graph.nodes.map(n => (n.id === 'approve' ? { ...n, data: { ...n.data, shade: 'waiting' } } : n));
    const { container } = renderNodes(running);
    expect(container.querySelector('[data-node=approve]')!.className).toContain('status-waiting');
  });
});
