import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  addEdge, applyEdgeChanges, applyNodeChanges, Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow,
  type Connection, type EdgeChange, type NodeChange,
} from '@xyflow/react';
import { ApiError } from '../api/client';
import { getRunbook, isDraft, listVersions, publishVersion, saveRunbook, validateRunbook } from '../api/runbooks';
import type { ClusterInventory, Runbook } from '../api/types';
import { findActivity, useCatalog } from '../catalog';
import { canonical } from '../model/diff';
import { edgeId, newNodeId, normalize, toGraph, toRunbook, type Graph, type LinkEdge, type StepNode } from '../model/graph';
import { History } from '../model/history';
import { autoLayout, placeMissing } from '../model/layout';
import { templateScope } from '../model/templates';
import { issuesFrom, issuesOf, type Issue } from '../model/validation';
import { ProblemBanner } from '../ProblemBanner';
import { navigate, setLeaveGuard } from '../router';
import { useSession } from '../session';
import { nodeTypes } from '../StepNodeView';
import { useShortcuts } from '../shortcuts';
import { JsonView } from './JsonView';
import { PropertyPanel } from './PropertyPanel';
import { RunbookPanel } from './RunbookPanel';
import { dragType, Toolbox } from './Toolbox';
import { VersionsPanel } from './VersionsPanel';

const blank = (): Runbook => ({ id: 'new-runbook', version: 1, name: 'New runbook', inputs: {}, start: '', nodes: [], connections: [] });

export function EditorPage(props: { id?: string; version?: number; cluster?: ClusterInventory }) {
  return <ReactFlowProvider><Editor {...props} /></ReactFlowProvider>;
}

type Panel = 'properties' | 'json' | 'versions';

// A first save moves the page to the runbook's own URL (a new editor); the message goes with it.
let carriedNotice: string | undefined;

function Editor({ id, version, cluster }: { id?: string; version?: number; cluster?: ClusterInventory }) {
  const catalog = useCatalog();
  const { can } = useSession();
  const editable = can('operator');
  const flow = useReactFlow<StepNode, LinkEdge>();
  const [graph, setGraph] = useState<Graph>();
  const [baseline, setBaseline] = useState('');
  const [loadError, setLoadError] = useState<ApiError>();
  const [issues, setIssues] = useState<Issue[]>([]);
  const [saveError, setSaveError] = useState<ApiError>();
  const [notice, setNotice] = useState<string | undefined>(() => { const n = carriedNotice; carriedNotice = undefined; return n; });
  const [panel, setPanel] = useState<Panel>('properties');
  const [draftState, setDraftState] = useState<{ version: number; draft: boolean }>();
  const history = useRef(new History<Graph>());
  const lastPush = useRef<{ key: string; at: number }>({ key: '', at: 0 });
  const clipboard = useRef<Runbook | undefined>(undefined);
  const search = useRef<HTMLInputElement>(null);
  const isNew = id === undefined;

  // Load
  useEffect(() => {
    let cancelled = false;
    setGraph(undefined);
    setLoadError(undefined);
    history.current.clear();
    const load = isNew ? Promise.resolve(blank()) : getRunbook(id, version).then(normalize);
    load.then(runbook => {
      if (cancelled) return;
      const g = toGraph(runbook);
      setGraph({ ...g, nodes: placeMissing(g.nodes, g.edges) });
      setBaseline(canonical(runbook));
      setDraftState({ version: runbook.version, draft: isDraft(runbook) });
      requestAnimationFrame(() => flow.fitView({ padding: 0.2, maxZoom: 1.2 }));
    }, (e: ApiError) => !cancelled && setLoadError(e));
    return () => { cancelled = true; };
    // useReactFlow() is a new object on every render; the instance behind it is what counts.
  }, [id, version, isNew]);

  const runbook = useMemo(() => (graph ? toRunbook(graph) : undefined), [graph]);
  const json = useMemo(() => (runbook ? canonical(runbook) : ''), [runbook]);
  const dirty = runbook !== undefined && json !== baseline;

  // Live validation against the server, shortly after each change.
  useEffect(() => {
    if (!runbook) return;
    const timer = setTimeout(() => {
      validateRunbook(runbook).then(errors => setIssues(issuesFrom(errors, runbook.nodes.map(n => n.id))), () => { /* shown on save */ });
    }, 300);
    return () => clearTimeout(timer);
    // The canonical text changes exactly when the runbook does.
  }, [json]);

  // Unsaved changes: warn before leaving the page or the tab.
  useEffect(() => {
    if (!dirty) return;
    const unload = (e: BeforeUnloadEvent) => { e.preventDefault(); };
    window.addEventListener('beforeunload', unload);
    setLeaveGuard(() => !confirm('This runbook has unsaved changes. Leave without saving?'));
    return () => { window.removeEventListener('beforeunload', unload); setLeaveGuard(undefined); };
  }, [dirty]);

  /** Every committed change goes through here: one undo step per change (typing in one field coalesces). */
  const change = useCallback((update: (g: Graph) => Graph, coalesceKey?: string) => {
    setGraph(g => {
      if (!g) return g;
      const now = Date.now();
      if (!coalesceKey || lastPush.current.key !== coalesceKey || now - lastPush.current.at > 1500) history.current.push(g);
      lastPush.current = { key: coalesceKey ?? '', at: now };
      return update(g);
    });
  }, []);

  const onNodesChange = useCallback((changes: NodeChange<StepNode>[]) => {
    const committed = changes.some(c => c.type === 'remove' || (c.type === 'position' && c.dragging === false));
    const moved = new Set(changes.filter(c => c.type === 'position').map(c => (c as { id: string }).id));
    const apply = (g: Graph): Graph => {
      const nodes = applyNodeChanges(changes, g.nodes).map(n => (moved.has(n.id) && !n.data.placed ? { ...n, data: { ...n.data, placed: true } } : n));
      const removed = new Set(changes.filter(c => c.type === 'remove').map(c => (c as { id: string }).id));
      const edges = removed.size ? g.edges.filter(e => !removed.has(e.source) && !removed.has(e.target)) : g.edges;
      return { ...g, nodes, edges, header: removed.has(g.header.start) ? { ...g.header, start: nodes[0]?.id ?? '' } : g.header };
    };
    if (committed) change(apply);
    else setGraph(g => (g ? apply(g) : g));
  }, [change]);

  const onEdgesChange = useCallback((changes: EdgeChange<LinkEdge>[]) => {
    if (changes.some(c => c.type === 'remove')) change(g => ({ ...g, edges: applyEdgeChanges(changes, g.edges) }));
    else setGraph(g => (g ? { ...g, edges: applyEdgeChanges(changes, g.edges) } : g));
  }, [change]);

  const isValidConnection = useCallback((c: Connection | LinkEdge) => {
    if (!graph || c.source === c.target || !c.sourceHandle) return false;
    const source = graph.nodes.find(n => n.id === c.source);
    // A Fork starts one branch per Done connection; every other outcome leads to exactly one node.
    if (source?.data.step.activity === 'Fork') return !graph.edges.some(e => e.source === c.source && e.target === c.target);
    return !graph.edges.some(e => e.source === c.source && e.sourceHandle === c.sourceHandle);
  }, [graph]);

  const onConnect = useCallback((c: Connection) => {
    const outcome = c.sourceHandle ?? 'Done';
    const connection = { from: c.source, outcome, to: c.target };
    change(g => ({ ...g, edges: addEdge({ id: edgeId(connection), source: c.source, sourceHandle: outcome, target: c.target, targetHandle: 'in', label: outcome, data: { outcome } }, g.edges) }));
  }, [change]);

  const addNode = useCallback((activity: string, position?: { x: number; y: number }) => {
    change(g => {
      const nodeId = newNodeId(activity, g.nodes.map(n => n.id));
      const at = position ?? flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 });
      const node: StepNode = { id: nodeId, type: 'step', position: at, selected: true, data: { step: { id: nodeId, activity, inputs: {} }, placed: true } };
      return { ...g, header: g.header.start ? g.header : { ...g.header, start: nodeId }, nodes: [...g.nodes.map(n => ({ ...n, selected: false })), node] };
    });
  }, [change, flow]);

  const onDrop = useCallback((e: DragEvent) => {
    e.preventDefault();
    const activity = e.dataTransfer.getData(dragType);
    if (activity && editable) addNode(activity, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [addNode, editable, flow]);

  const undo = () => { const g = graph && history.current.undo(graph); if (g) setGraph(g); };
  const redo = () => { const g = graph && history.current.redo(graph); if (g) setGraph(g); };

  const copy = () => {
    if (!graph) return;
    const picked = new Set(graph.nodes.filter(n => n.selected).map(n => n.id));
    if (picked.size === 0) return;
    const all = toRunbook(graph);
    clipboard.current = { ...all, nodes: all.nodes.filter(n => picked.has(n.id)), connections: all.connections.filter(c => picked.has(c.from) && picked.has(c.to)) };
    void navigator.clipboard?.writeText(JSON.stringify(clipboard.current, null, 2)).catch(() => undefined);
    setNotice(`Copied ${picked.size} node${picked.size > 1 ? 's' : ''}`);
  };
  const paste = () => {
    const source = clipboard.current;
    if (!source || !editable) return;
    change(g => {
      const taken = g.nodes.map(n => n.id);
      const renamed = new Map<string, string>();
      for (const n of source.nodes) { const fresh = newNodeId(n.activity, [...taken, ...renamed.values()]); renamed.set(n.id, fresh); }
      const pasted = toGraph({ ...source, nodes: source.nodes.map(n => ({ ...n, id: renamed.get(n.id)!, position: { x: (n.position?.x ?? 0) + 40, y: (n.position?.y ?? 0) + 40 } })),
        connections: source.connections.map(c => ({ ...c, from: renamed.get(c.from)!, to: renamed.get(c.to)! })) });
      return { ...g, nodes: [...g.nodes.map(n => ({ ...n, selected: false })), ...pasted.nodes.map(n => ({ ...n, selected: true }))], edges: [...g.edges, ...pasted.edges] };
    });
  };
  const layout = () => { change(g => ({ ...g, nodes: autoLayout(g.nodes, g.edges) })); requestAnimationFrame(() => flow.fitView({ padding: 0.2, maxZoom: 1.2 })); };

  const save = async () => {
    if (!runbook || !editable) return;
    setSaveError(undefined);
    try {
      const saved = normalize(await saveRunbook(runbook, isNew));
      const { nodes: _n, connections: _c, ...header } = saved;
      setGraph(g => (g ? { ...g, header } : g));
      setBaseline(canonical({ ...runbook, ...header }));
      setDraftState({ version: saved.version, draft: isDraft(saved) });
      const message = `Saved as version ${saved.version}${isDraft(saved) ? ' (draft: an approver publishes it before runs use it)' : ''}`;
      setNotice(message);
      if (isNew) { carriedNotice = message; setLeaveGuard(undefined); navigate(`/runbooks/${encodeURIComponent(saved.id)}`, true); }
    } catch (e) {
      const error = e as ApiError;
      setSaveError(error);
      if (error.status === 400) setIssues(issuesFrom(error.fieldErrors, runbook.nodes.map(n => n.id)));
    }
  };
  const publish = async () => {
    if (!draftState || !runbook) return;
    try {
      await publishVersion(runbook.id, draftState.version);
      setDraftState({ ...draftState, draft: false });
      setNotice(`Version ${draftState.version} published`);
    } catch (e) { setSaveError(e as ApiError); }
  };

  useShortcuts({
    'mod+s': () => void save(), 'mod+z': undo, 'mod+shift+z': redo, 'mod+y': redo, 'mod+c': copy, 'mod+v': paste,
    'mod+d': () => { copy(); paste(); }, '/': () => search.current?.focus(), 'mod+shift+l': layout, 'mod+j': () => setPanel(p => (p === 'json' ? 'properties' : 'json')),
  });

  const selected = graph?.nodes.filter(n => n.selected) ?? [];
  const single = selected.length === 1 ? selected[0] : undefined;
  const scope = useMemo(() => (runbook && single ? templateScope(runbook, single.id, catalog, cluster) : []), [runbook, single, catalog, cluster]);

  const shownNodes = useMemo(() => graph?.nodes.map(n => {
    const mine = issuesOf(issues, n.id);
    return { ...n, data: { ...n.data, issues: mine.map(i => `${i.field}: ${i.message}`), isStart: graph.header.start === n.id } };
  }) ?? [], [graph, issues]);

  if (loadError) return <ProblemBanner error={loadError} what={`runbook ${id}`} />;
  if (!graph || !runbook) return <p className="centered">Loading runbook…</p>;

  const general = issues.filter(i => i.nodeId === undefined);
  const rename = (newId: string): string | undefined => {
    if (!single) return;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(newId)) return 'An id is letters, digits, - _ . (starting with a letter or digit).';
    if (graph.nodes.some(n => n.id === newId)) return `A node '${newId}' exists already.`;
    const old = single.id;
    change(g => ({
      header: g.header.start === old ? { ...g.header, start: newId } : g.header,
      nodes: g.nodes.map(n => (n.id === old ? { ...n, id: newId, data: { ...n.data, step: { ...n.data.step, id: newId } } } : n)),
      edges: g.edges.map(e => {
        const source = e.source === old ? newId : e.source, target = e.target === old ? newId : e.target;
        return { ...e, source, target, id: edgeId({ from: source, outcome: e.data?.outcome ?? '', to: target }) };
      }),
    }));
  };

  return (
    <div className="editor">
      <div className="toolbar">
        <h1 title={runbook.description}>{runbook.name} <small>{runbook.id} · v{draftState?.version ?? runbook.version}{draftState?.draft ? ' · draft' : ''}{dirty ? ' · unsaved' : ''}</small></h1>
        <button onClick={undo} disabled={!history.current.canUndo} title="Undo (Ctrl+Z)">Undo</button>
        <button onClick={redo} disabled={!history.current.canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button onClick={layout} disabled={!editable} title="Auto-layout (Ctrl+Shift+L)">Auto-layout</button>
        <button onClick={() => flow.fitView({ padding: 0.2 })} title="Zoom to fit">Fit</button>
        <span className="spacer" />
        <button className={panel === 'properties' ? 'on' : ''} onClick={() => setPanel('properties')}>Properties</button>
        <button className={panel === 'json' ? 'on' : ''} onClick={() => setPanel('json')} title="JSON view (Ctrl+J)">JSON</button>
        {!isNew && <button className={panel === 'versions' ? 'on' : ''} onClick={() => setPanel('versions')}>Versions</button>}
        {draftState?.draft && can('approver') && <button onClick={publish} title="Publish this draft so runs use it">Publish</button>}
        {!isNew && can('operator') && <button onClick={() => navigate(`/runs/new?runbook=${encodeURIComponent(runbook.id)}`)} disabled={dirty}>Run…</button>}
        {editable && <button className="primary" onClick={save} disabled={!dirty} title="Save as a new version (Ctrl+S)">Save</button>}
      </div>
      {notice && <div className="notice" role="status" onClick={() => setNotice(undefined)}>{notice}</div>}
      <ProblemBanner error={saveError} what="not saved" />
      {!editable && <div className="notice">Read only: your key's role may view runbooks but not save them.</div>}
      <div className="workspace">
        <Toolbox ref={search} catalog={catalog} onAdd={a => addNode(a)} disabled={!editable} />
        <div className="canvas" onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }} onDrop={onDrop}>
          <ReactFlow nodes={shownNodes} edges={graph.edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange}
            onConnect={onConnect} isValidConnection={isValidConnection} nodesDraggable={editable} nodesConnectable={editable}
            elementsSelectable deleteKeyCode={editable ? ['Delete', 'Backspace'] : null} multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
            selectionKeyCode="Shift" defaultViewport={{ x: 40, y: 40, zoom: 1 }} minZoom={0.1} colorMode="system"
            defaultEdgeOptions={{ type: 'smoothstep' }} onlyRenderVisibleElements={graph.nodes.length > 100}>
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
          {(general.length > 0) && (
            <div className="problems" role="alert">
              <b>Runbook problems</b>
              <ul>{general.map((i, n) => <li key={n}><code>{i.field}</code>: {i.message}</li>)}</ul>
            </div>
          )}
        </div>
        <aside className="side">
          {panel === 'json' && <JsonView runbook={runbook} readOnly={!editable}
            onChange={next => change(() => { const parsed = toGraph(normalize(next)); return { ...parsed, nodes: placeMissing(parsed.nodes, parsed.edges) }; }, 'json')} />}
          {panel === 'versions' && !isNew && <VersionsPanel id={runbook.id} current={draftState?.version ?? runbook.version} load={listVersions} />}
          {panel === 'properties' && single && (
            <PropertyPanel key={single.id} step={single.data.step} activity={findActivity(catalog, single.data.step.activity)} issues={issues}
              scope={scope} readOnly={!editable} onRename={rename}
              onChange={(step, field) => change(g => ({ ...g, nodes: g.nodes.map(n => (n.id === single.id ? { ...n, data: { ...n.data, step } } : n)) }), `${single.id}.${field}`)} />
          )}
          {panel === 'properties' && !single && (
            <RunbookPanel header={graph.header} nodeIds={graph.nodes.map(n => n.id)} issues={general} readOnly={!editable} isNew={isNew} selectedCount={selected.length}
              onChange={header => change(g => ({ ...g, header }), 'header')} />
          )}
        </aside>
      </div>
    </div>
  );
}
