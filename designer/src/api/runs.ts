import { api } from './client';
import type { Approval, ClusterInventory, ClusterSummary, RunSummary, RunView } from './types';

const run = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

export const getRun = (id: string) => api<RunView>(run(id));
export const listRuns = (filter: { status?: string; runbook?: string; cluster?: string }) => {
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
  return api<RunSummary[]>(`/api/runs?${q}`);
};
export const startRun = (body: { runbook: string; version?: number; cluster?: string; inputs: Record<string, unknown>; dryRun: boolean }) =>
  api<RunView>('/api/runs', { method: 'POST', json: body });
export const cancelRun = (id: string) => api<RunSummary>(`${run(id)}/cancel`, { method: 'POST' });
export const decide = (id: string, node: string, decision: 'approve' | 'reject', comment: string) =>
  api<Approval>(`${run(id)}/approvals`, { method: 'POST', json: { node, decision, comment } });
export const listApprovals = () => api<Approval[]>('/api/approvals');
export const listClusters = () => api<ClusterSummary[]>('/api/clusters');
export const getCluster = (id: string) => api<ClusterInventory>(`/api/clusters/${encodeURIComponent(id)}`);
