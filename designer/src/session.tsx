import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, apiKey, onUnauthorized, whoAmI } from './api/client';
import { allows, type Role, type Session } from './api/types';

const SessionContext = createContext<{ session: Session; signOut(): void } | undefined>(undefined);

export function useSession() {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SignedIn>');
  return { ...value, can: (role: Role) => allows(value.session.role, role) };
}

/** Shows the sign-in form until the key in session storage is accepted by GET /api/me. */
export function SignedIn({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!apiKey.get()) { setSession(null); return; }
    whoAmI().then(setSession, (e: ApiError) => { setError(describe(e)); setSession(null); });
  }, []);
  useEffect(() => onUnauthorized(e => { apiKey.clear(); setError(describe(e)); setSession(null); }), []);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const key = String(new FormData(e.currentTarget).get('key') ?? '').trim();
    if (!key) { setError('Paste an API key.'); return; }
    try {
      const s = await whoAmI(key);
      apiKey.set(key);
      setError(undefined);
      setSession(s);
    } catch (x) { setError(describe(x as ApiError)); }
  };

  if (session === undefined) return <p className="centered">Loading…</p>;
  if (session === null)
    return (
      <form className="login" onSubmit={submit}>
        <h1>PgHaWorkflows</h1>
        <label>API key <input name="key" type="password" autoComplete="off" autoFocus size={50} /></label>
        <button type="submit" className="primary">Sign in</button>
        {error && <p className="error" role="alert">{error}</p>}
        <p className="hint">The key stays in this tab only (session storage). Create one with <code>pgha keys create --name NAME --role viewer</code>.</p>
      </form>
    );
  const signOut = () => { apiKey.clear(); setSession(null); };
  return <SessionContext.Provider value={{ session, signOut }}>{children}</SessionContext.Provider>;
}

function describe(e: ApiError) {
  if (e.status === 401) return `Not signed in (401): ${e.problem.detail ?? 'the key is not known'}`;
  if (e.status === 403) return `Not allowed (403): ${e.problem.detail ?? ''}`;
  return e.message;
}
