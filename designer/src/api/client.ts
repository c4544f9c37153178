import type { Session } from './types';

const storageKey = 'pgha.apiKey';

/** The key lives in session storage only (never in a URL or a cookie): it goes with the tab. */
export const apiKey = {
  get: () => sessionStorage.getItem(storageKey),
  set: (key: string) => sessionStorage.setItem(storageKey, key),
  clear: () => sessionStorage.removeItem(storageKey),
};

export interface Problem { status: number; title?: string; detail?: string; errors?: Record<string, string[]> }

/** A refused request: the server's RFC 7807 document, or what we know when it sent none. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status() { return this.problem.status; }
  get fieldErrors(): Record<string, string[]> { return this.problem.errors ?? {}; }
}

type Listener = (e: ApiError) => void;
const authListeners = new Set<Listener>();
/** 401s reach the session (to show the sign-in again) wherever they happen. */
export const onUnauthorized = (l: Listener) => { authListeners.add(l); return () => { authListeners.delete(l); }; };

export function authHeaders(key = apiKey.get()): Record<string, string> {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown; key?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders(init.key ?? apiKey.get()) };
  let body = init.body;
  if (init.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(init.json); }
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { ...headers, ...(init.headers as object) }, body });
  } catch (e) {
    throw new ApiError({ status: 0, title: 'The server does not answer', detail: String(e) });
  }
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem: Problem = typeof parsed === 'object' && parsed !== null
      ? { status: response.status, ...(parsed as object) }
      : { status: response.status, title: response.statusText, detail: text || undefined };
    const error = new ApiError(problem);
    if (response.status === 401) authListeners.forEach(l => l(error));
    throw error;
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return text; }
}

export const whoAmI = (key?: string) => api<Session>('/api/me', { key });
