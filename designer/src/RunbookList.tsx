import { useState } from 'react';
import { isDraft, listRunbooks } from './api/runbooks';
import { ProblemBanner } from './ProblemBanner';
import { Link, navigate } from './router';
import { useSession } from './session';
import { useLoad } from './useLoad';

/** Every runbook with its latest version, searchable by id, name and description. */
export function RunbookList() {
  const { can } = useSession();
  const runbooks = useLoad(listRunbooks, []);
  const [filter, setFilter] = useState('');
  const f = filter.toLowerCase();
  const shown = runbooks.data?.filter(r => !f || r.id.toLowerCase().includes(f) || r.name.toLowerCase().includes(f));
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Runbooks</h1>
        <input type="search" placeholder="Search runbooks" value={filter} onChange={e => setFilter(e.target.value)} aria-label="Search runbooks" autoFocus />
        <span className="spacer" />
        {can('operator') && <button className="primary" onClick={() => navigate('/runbooks/new')}>New runbook</button>}
      </div>
      <ProblemBanner error={runbooks.error} />
      <table className="list">
        <thead><tr><th>Name</th><th>Id</th><th>Latest</th><th>Saved</th><th>By</th><th /></tr></thead>
        <tbody>
          {shown?.map(r => (
            <tr key={r.id}>
              <td><Link to={`/runbooks/${encodeURIComponent(r.id)}`}>{r.name}</Link></td><td><code>{r.id}</code></td>
              <td>v{r.version}{isDraft(r) && <span className="badge badge-waiting">draft</span>}</td>
              <td>{new Date(r.createdAt).toLocaleString()}</td><td>{r.createdBy}</td>
              <td>{can('operator') && <Link to={`/runs/new?runbook=${encodeURIComponent(r.id)}`}>Run…</Link>}</td>
            </tr>
          ))}
          {shown?.length === 0 && <tr><td colSpan={6} className="hint">No runbook matches.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
