import { api, ApiError } from './client';
import type { Runbook, RunbookVersionInfo } from './types';

const path = (id: string) => `/api/runbooks/${encodeURIComponent(id)}`;

export const listRunbooks = () => api<RunbookVersionInfo[]>('/api/runbooks');
export const getRunbook = (id: string, version?: number) => api<Runbook>(path(id) + (version ? `?version=${version}` : ''));
export const listVersions = (id: string) => api<RunbookVersionInfo[]>(`${path(id)}/versions`);

/** Valid: no problems. Invalid: the server's problems keyed by field. */
export async function validateRunbook(runbook: Runbook): Promise<Record<string, string[]>> {
  try {
    await api('/api/runbooks/validate', { method: 'POST', json: runbook });
    return {};
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) return e.fieldErrors;
    throw e;
  }
}

/** Saves as the next version (PUT), or the first one (POST) for a runbook the server does not know yet. */
export const saveRunbook = (runbook: Runbook, isNew: boolean) =>
  isNew ? api<Runbook>('/api/runbooks', { method: 'POST', json: runbook })
        : api<Runbook>(path(runbook.id), { method: 'PUT', json: runbook });

/**
 * Whether a saved version still waits to be published (a second person with the approver role publishes drafts,
 * issue 13). Read from whatever the server says: a `status` of "draft", or `published: false`.
 */
export function isDraft(v: { status?: unknown; published?: unknown } | undefined): boolean {
  if (!v) return false;
  if (typeof v.status === 'string') return v.status.toLowerCase() === 'draft';
  return v.published === false;
}

/** The publish step of a draft; the one place that knows its route. */
export const publishVersion = (id: string, version: number) =>
  api<unknown>(`${path(id)}/versions/${version}/publish`, { method: 'POST', json: {} });
