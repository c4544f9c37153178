import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api/client';
import { decide } from '../api/runs';
import { allows, type Role, type Runbook, type RunView } from '../api/types';
import { upstreamOf } from '../model/templates';
import { ProblemBanner } from '../ProblemBanner';
import { useSession } from '../session';
import { useShortcuts } from '../shortcuts';
import { journalChanges } from './changes';

/** One node of a run: its state, every attempt (outcome, outputs, error, output with live tail), what it changed or (dry run) planned, and the approval. */
export function NodeDetails({ run, runbook, nodeId, onDecided }: { run: RunView; runbook: Runbook; nodeId: string; onDecided(): void }) {
  const state = run.nodes.find(n => n.nodeId === nodeId);
  const attempts = run.journal.filter(j => j.nodeId === nodeId);
  const [attempt, setAttempt] = useState<number>();
  const shown = attempts.find(a => a.attempt === attempt) ?? attempts[attempts.length - 1];
  const approval = [...run.approvals].reverse().find(a => a.nodeId === nodeId);
  const log = shown?.log ?? '';
  const changes = journalChanges(log, run.run.dryRun);
  return (
    <div className="details" aria-label="Node details">
      <h2>{state?.title || nodeId} <small>{state?.activity}</small></h2>
      <p><span className={`badge badge-${state?.state.toLowerCase()}`}>{state?.state ?? 'NotStarted'}</span>
        {state?.outcome && <> → <b>{state.outcome}</b></>} {state && state.attempts > 0 && <span className="hint">attempt {state.attempts}</span>}</p>
      {state?.error && <pre className="error">{state.error}</pre>}
      {approval && <ApprovalBox run={run} runbook={runbook} approval={approval} onDecided={onDecided} />}
      {attempts.length > 1 && (
        <label>Attempt <select value={shown?.attempt} onChange={e => setAttempt(Number(e.target.value))}>
          {attempts.map(a => <option key={a.id} value={a.attempt}>{a.attempt} · {a.status}</option>)}
        </select></label>
      )}
      {shown && (
        <>
          <p className="hint">{new Date(shown.startedAt).toLocaleTimeString()} → {shown.endedAt ? new Date(shown.endedAt).toLocaleTimeString() : 'running'} · {shown.status}{shown.outcome ? ` · ${shown.outcome}` : ''}</p>
          <section className="plan"><h3>{run.run.dryRun ? 'Planned (dry run)' : 'Changed'}</h3>
            {changes.length ? <ul>{changes.map((p, i) => <li key={i}><code>{p}</code></li>)}</ul>
              : <p className="hint">{run.run.dryRun ? 'No changes planned.' : shown.endedAt ? 'No change made.' : 'No change made yet.'}</p>}
          </section>
          {shown.error && <><h3>Error</h3><pre className="error">{shown.error}</pre></>}
          {shown.outputs != null && <><h3>Outputs</h3><pre>{JSON.stringify(shown.outputs, null, 2)}</pre></>}
          <LogTail text={log} live={!shown.endedAt} />
        </>
      )}
      {!shown && <p className="hint">Not started.</p>}
    </div>
  );
}

function LogTail({ text, live }: { text: string; live: boolean }) {
  const [follow, setFollow] = useState(true);
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => { if (follow && ref.current) ref.current.scrollTop = ref.current.scrollHeight; }, [text, follow]);
  const lines = text.split('\n');
  return (
    <section>
      <h3>Output {live && <span className="badge badge-running">live</span>}
        <label className="inline"><input type="checkbox" checked={follow} onChange={e => setFollow(e.target.checked)} /> follow</label></h3>
      <pre ref={ref} className="log" aria-label="Node output">{lines.slice(-500).join('\n') || '(no output)'}</pre>
    </section>
  );
}

function ApprovalBox({ run, runbook, approval, onDecided }: { run: RunView; runbook: Runbook; approval: RunView['approvals'][number]; onDecided(): void }) {
  const { session } = useSession();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const open = !approval.decision;
  const mayDecide = allows(session.role, approval.allowedRole as Role);
  const send = async (decision: 'approve' | 'reject') => {
    if (!open || !mayDecide || busy) return;
    setBusy(true);
    try { await decide(run.run.runId, approval.nodeId, decision, comment); setError(undefined); onDecided(); }
    catch (e) { setError(e as ApiError); }
    finally { setBusy(false); }
  };
  useShortcuts({ 'mod+enter': () => void send('approve') }, ['mod+enter']);
  // The evidence: what the nodes before this one found, so the approver decides on facts, not on the prompt alone.
  const evidence = upstreamOf(runbook, approval.nodeId)
    .map(id => [...run.journal].reverse().find(j => j.nodeId === id && j.outputs != null))
    .filter(j => j !== undefined);
  return (
    <section className={`approval ${open ? 'open' : 'decided'}`} aria-label="Approval">
      <h3>Approval {open ? 'requested' : approval.decision}</h3>
      <p className="prompt">{approval.prompt}</p>
      <p className="hint">Requested {new Date(approval.requestedAt).toLocaleString()} · needs role {approval.allowedRole}
        {approval.expiresAt ? ` · expires ${new Date(approval.expiresAt).toLocaleString()}` : ''} · run started by {approval.startedBy}</p>
      {evidence.length > 0 && (
        <details open><summary>Evidence from earlier nodes</summary>
          {evidence.map(j => <div key={j.id}><b>{j.nodeId}</b><pre>{JSON.stringify(j.outputs, null, 2)}</pre></div>)}
        </details>
      )}
      {!open && <p>{approval.decision} by <b>{approval.decidedBy}</b> at {approval.decidedAt && new Date(approval.decidedAt).toLocaleString()}{approval.comment ? `: “${approval.comment}”` : ''}</p>}
      {open && mayDecide && (
        <>
          <label>Comment <textarea rows={2} value={comment} onChange={e => setComment(e.target.value)} placeholder="Why (recorded with your decision)" /></label>
          <div className="row">
            <button className="primary" disabled={busy} onClick={() => send('approve')} title="Approve (Ctrl+Enter)">Approve</button>
            <button className="danger" disabled={busy} onClick={() => send('reject')}>Reject</button>
          </div>
        </>
      )}
      {open && !mayDecide && <p className="hint">Your key's role ({session.role}) may not decide this approval; it needs {approval.allowedRole}.</p>}
      <ProblemBanner error={error} what="decision refused" />
    </section>
  );
}
