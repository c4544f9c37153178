import { useState } from 'react';
import { ApiError } from '../api/client';
import { getRunbook, isDraft } from '../api/runbooks';
import type { Runbook, RunbookVersionInfo } from '../api/types';
import { normalize } from '../model/graph';
import { ProblemBanner } from '../ProblemBanner';
import { Link } from '../router';
import { useLoad } from '../useLoad';
import { DiffView } from './DiffView';

/** Saved versions, newest first: open one, or tick two to see what changed between them. */
export function VersionsPanel({ id, current, load }: { id: string; current: number; load(id: string): Promise<RunbookVersionInfo[]> }) {
  const { data, error } = useLoad(() => load(id), [id, current]);
  const [picked, setPicked] = useState<number[]>([]);
  const [diff, setDiff] = useState<{ before: Runbook; after: Runbook }>();
  const [diffError, setDiffError] = useState<ApiError>();
  const versions = [...(data ?? [])].sort((a, b) => b.version - a.version);
  const toggle = (v: number) => setPicked(p => (p.includes(v) ? p.filter(x => x !== v) : [...p, v].slice(-2)));
  const compare = async () => {
    const [a, b] = [...picked].sort((x, y) => x - y);
    try {
      const [before, after] = await Promise.all([getRunbook(id, a), getRunbook(id, b)]);
      setDiff({ before: normalize(before), after: normalize(after) });
    } catch (e) { setDiffError(e as ApiError); }
  };
  return (
    <div className="versions">
      <h2>Versions</h2>
      <ProblemBanner error={error ?? diffError} />
      <ul>
        {versions.map(v => (
          <li key={v.version} className={v.version === current ? 'current' : ''}>
            <label><input type="checkbox" checked={picked.includes(v.version)} onChange={() => toggle(v.version)} aria-label={`compare version ${v.version}`} /> v{v.version}</label>
            {isDraft(v) && <span className="badge badge-waiting">draft</span>}
            <span className="hint">{new Date(v.createdAt).toLocaleString()} {v.createdBy ? `by ${v.createdBy}` : ''}</span>
            {v.version !== current && <Link to={`/runbooks/${encodeURIComponent(id)}?version=${v.version}`}>open</Link>}
          </li>
        ))}
      </ul>
      <button onClick={compare} disabled={picked.length !== 2}>Compare the two ticked versions</button>
      {diff && <DiffView before={diff.before} after={diff.after} onClose={() => setDiff(undefined)} />}
    </div>
  );
}
