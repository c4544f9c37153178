import { useEffect } from 'react';
import { listApprovals } from '../api/runs';
import { ProblemBanner } from '../ProblemBanner';
import { Link } from '../router';
import { useLoad } from '../useLoad';

/** Every approval waiting for a decision, oldest first; each opens its run at the waiting node. */
export function Approvals() {
  const approvals = useLoad(listApprovals, []);
  useEffect(() => { const t = setInterval(approvals.reload, 3000); return () => clearInterval(t); }, [approvals.reload]);
  return (
    <div className="page">
      <h1>Approvals waiting</h1>
      <ProblemBanner error={approvals.error} />
      <table className="list">
        <thead><tr><th>Prompt</th><th>Run</th><th>Node</th><th>Needs</th><th>Requested</th><th>Started by</th></tr></thead>
        <tbody>
          {approvals.data?.map(a => (
            <tr key={a.id}>
              <td><Link to={`/runs/${encodeURIComponent(a.runId)}?node=${encodeURIComponent(a.nodeId)}`}>{a.prompt}</Link></td>
              <td><code>{a.runId}</code></td><td>{a.nodeId}</td><td>{a.allowedRole}</td>
              <td>{new Date(a.requestedAt).toLocaleString()}</td><td>{a.startedBy}</td>
            </tr>
          ))}
          {approvals.data?.length === 0 && <tr><td colSpan={6} className="hint">Nothing waits for a decision.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
