import { useEffect, useState } from 'react';
import type { ApiError } from './api/client';
import { api } from './api/client';
import { getCluster, listApprovals, listClusters } from './api/runs';
import type { Activity, ClusterInventory } from './api/types';
import { CatalogContext } from './catalog';
import { EditorPage } from './editor/EditorPage';
import { ProblemBanner } from './ProblemBanner';
import { Link, useLocation } from './router';
import { RunbookList } from './RunbookList';
import { Approvals } from './runs/Approvals';
import { RunList } from './runs/RunList';
import { RunPage } from './runs/RunPage';
import { StartRun } from './runs/StartRun';
import { useSession } from './session';

export function App() {
  const { session, signOut } = useSession();
  const { path, search } = useLocation();
  const [catalog, setCatalog] = useState<Activity[]>();
  const [cluster, setCluster] = useState<ClusterInventory>();
  const [error, setError] = useState<ApiError>();
  const [waiting, setWaiting] = useState(0);

  useEffect(() => {
    api<Activity[]>('/api/activities').then(setCatalog, setError);
    // The first cluster's hosts, roles, settings and secret names feed template completion in the editor.
    listClusters().then(cs => cs[0] && getCluster(cs[0].id).then(setCluster), () => undefined);
  }, []);
  useEffect(() => {
    const count = () => listApprovals().then(a => setWaiting(a.length), () => undefined);
    void count();
    const t = setInterval(count, 5000);
    return () => clearInterval(t);
  }, []);

  const q = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (parts[0] === 'runbooks' && parts[1] === 'new') page = <EditorPage key="new" cluster={cluster} />;
  else if (parts[0] === 'runbooks' && parts[1]) page = <EditorPage key={parts[1] + search} id={parts[1]} version={q.get('version') ? Number(q.get('version')) : undefined} cluster={cluster} />;
  else if (parts[0] === 'runs' && parts[1] === 'new') page = <StartRun runbookId={q.get('runbook') ?? undefined} />;
  else if (parts[0] === 'runs' && parts[1]) page = <RunPage key={parts[1]} runId={parts[1]} node={q.get('node') ?? undefined} />;
  else if (parts[0] === 'runs') page = <RunList search={search} />;
  else if (parts[0] === 'approvals') page = <Approvals />;
  else if (parts.length === 0 || parts[0] === 'runbooks') page = <RunbookList />;
  else page = <div className="problem">No page at {path}. <Link to="/">Runbooks</Link></div>;

  const at = (prefix: string) => (path === prefix || path.startsWith(prefix + '/') ? 'on' : '');
  return (
    <CatalogContext.Provider value={catalog ?? []}>
      <header className="top">
        <b className="brand">PgHaWorkflows</b>
        <nav>
          <Link to="/runbooks" className={at('/runbooks') || (path === '/' ? 'on' : '')}>Runbooks</Link>
          <Link to="/runs" className={at('/runs')}>Runs</Link>
          <Link to="/approvals" className={at('/approvals')}>Approvals{waiting > 0 && <span className="count" aria-label={`${waiting} waiting`}>{waiting}</span>}</Link>
        </nav>
        <span className="spacer" />
        <span className="who" data-role={session.role}>{session.name} · <b>{session.role}</b></span>
        <button onClick={signOut}>Sign out</button>
      </header>
      <ProblemBanner error={error} what="activity catalog" />
      <main>{catalog ? page : !error && <p className="centered">Loading…</p>}</main>
    </CatalogContext.Provider>
  );
}
