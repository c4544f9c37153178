import type { RunView } from '../api/types';
import { shadeOf } from '../model/runState';

/** Each attempt as a bar on the run's time axis (retries show as several bars in one row). */
export function Timeline({ run, now, onPick }: { run: RunView; now: number; onPick(nodeId: string): void }) {
  const start = Date.parse(run.run.startedAt);
  const end = run.run.endedAt ? Date.parse(run.run.endedAt) : now;
  const span = Math.max(end - start, 1000);
  const rows = [...new Set(run.journal.map(j => j.nodeId))];
  if (rows.length === 0) return <div className="timeline hint">Nothing has run yet.</div>;
  return (
    <div className="timeline" aria-label="Timeline">
      {rows.map(nodeId => (
        <div key={nodeId} className="timeline-row" onClick={() => onPick(nodeId)}>
          <span className="timeline-name">{nodeId}</span>
          <span className="timeline-track">
            {run.journal.filter(j => j.nodeId === nodeId).map(j => {
              const from = Date.parse(j.startedAt) - start;
              const to = (j.endedAt ? Date.parse(j.endedAt) : now) - start;
              const seconds = (to - from) / 1000;
              return (
                <span key={j.id} className={`bar bar-${shadeOf(j.status)}`}
                  style={{ left: `${(from / span) * 100}%`, width: `max(3px, ${((to - from) / span) * 100}%)` }}
                  title={`${nodeId} attempt ${j.attempt}: ${j.status}${j.outcome ? ' → ' + j.outcome : ''}, ${seconds.toFixed(2)} s`} />
              );
            })}
          </span>
        </div>
      ))}
    </div>
  );
}
