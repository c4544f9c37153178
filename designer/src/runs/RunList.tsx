import { useEffect, useState } from 'react';
import { listRuns } from '../api/runs';
import { ProblemBanner } from '../ProblemBanner';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { useLoad } from '../useLoad';

const statuses = ['', 'Running', 'Completed', 'Failed', 'Cancelled'];

/** Runs, newest first, filtered by status, runbook and cluster (the filters live in the URL, so a view can be shared). */
export function RunList({ search }: { search: string }) {
  const { can } = useSession();
  const q = new URLSearchParams(search);
  const filter = { status: q.get('status') ?? '', runbook: q.get('runbook') ?? '', cluster: q.get('cluster') ?? '' };
  const runs = useLoad(() => listRuns(filter), [search]);
  useEffect(() => { const t = setInterval(runs.reload, 5000); return () => clearInterval(t); }, [runs.reload]);
  const [draft, setDraft] = useState(filter);
  const apply = (next: typeof filter) => navigate(`/runs?${new URLSearchParams(Object.entries(next).filter(([, v]) => v))}`, true);
  return (
    <div className="page">
      <div className="toolbar"><h1>Runs</h1><span className="spacer" />{can('operator') && <button className="primary" onClick={() => navigate('/runs/new')}>Start a run…</button>}</div>
      <form className="filters" onSubmit={e => { e.preventDefault(); apply(draft); }}>
        <label>Status <select value={draft.status} onChange={e => { const n = { ...draft, status: e.target.value }; setDraft(n); apply(n); }}>
          {statuses.map(s => <option key={s} value={s}>{s || 'any'}</option>)}</select></label>
        <label>Runbook <input value={draft.runbook} onChange={e => setDraft({ ...draft, runbook: e.target.value })} /></label>
        <label>Cluster <input value={draft.cluster} onChange={e => setDraft({ ...draft, cluster: e.target.value })} /></label>
        <button type="submit">Filter</button>
      </form>
      <ProblemBanner error={runs.error} />
      <table className="list">
        <thead><tr><th>Run</th><th>Status</th><th>Runbook</th><th>Cluster</th><th>Started</th><th>By</th><th>Error</th></tr></thead>
        <tbody>
          {runs.data?.map(r => (
            <tr key={r.runId} className={`run-${r.status.toLowerCase()}`}>
              <td><Link to={`/runs/${encodeURIComponent(r.runId)}`}><code>{r.runId}</code></Link></td>
              <td>{r.waitingForApproval && r.status === 'Running' ? 'Waiting for approval' : r.status}{r.dryRun ? ' (dry run)' : ''}</td>
              <td>{r.runbookId} v{r.runbookVersion}</td><td>{r.clusterId ?? '—'}</td>
              <td>{new Date(r.startedAt).toLocaleString()}</td><td>{r.startedBy}</td><td className="error">{r.error}</td>
            </tr>
          ))}
          {runs.data?.length === 0 && <tr><td colSpan={7} className="hint">No runs match.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
