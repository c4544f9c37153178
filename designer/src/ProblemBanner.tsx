import type { ApiError } from './api/client';

/** A refused or failed request, said as such (401 and 403 named), never a blank page. */
export function ProblemBanner({ error, what }: { error?: ApiError; what?: string }) {
  if (!error) return null;
  const kind = error.status === 401 ? 'Not signed in (401)' : error.status === 403 ? 'Not allowed (403)'
    : error.status === 404 ? 'Not found (404)' : error.status === 0 ? 'No answer from the server' : `Error ${error.status}`;
  const fields = Object.entries(error.fieldErrors);
  return (
    <div className="problem" role="alert">
      <b>{kind}{what ? ` — ${what}` : ''}:</b> {error.problem.detail ?? error.problem.title}
      {fields.length > 0 && <ul>{fields.map(([f, m]) => <li key={f}><code>{f}</code>: {m.join('; ')}</li>)}</ul>}
    </div>
  );
}
