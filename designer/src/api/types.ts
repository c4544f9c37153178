// The server's JSON shapes (src/PgHa.Server/Api, src/PgHa.Workflows/Runtime/RuntimeViews.cs), camelCase as sent.

export interface RunbookInput { type: string; default?: unknown; required?: boolean; description?: string }
export interface NodeRetry { attempts: number; delaySeconds?: number }
export interface NodePosition { x: number; y: number }
export interface RunbookNode {
  id: string; activity: string; title?: string; description?: string;
  inputs?: Record<string, unknown>; retry?: NodeRetry; timeoutSeconds?: number; position?: NodePosition;
}
export interface RunbookConnection { from: string; outcome: string; to: string }
export interface Runbook {
  id: string; version: number; name: string; description?: string;
  inputs?: Record<string, RunbookInput>; start: string; nodes: RunbookNode[]; connections: RunbookConnection[];
  /** A draft/published state once the server has one (issue 13); any other member a newer server adds passes through untouched. */
  status?: string; published?: boolean;
}

/** One saved version as GET /api/runbooks and /versions list it; `status`/`published` appear once drafts exist. */
export interface RunbookVersionInfo {
  id: string; version: number; name: string; createdAt: string; createdBy?: string;
  status?: string; published?: boolean; publishedBy?: string; [extra: string]: unknown;
}

export interface Activity {
  name: string; description: string; category: string; outcomes: string[];
  outputs: Record<string, string>; mutates: boolean; inputSchema: JsonSchema;
}
export type JsonSchema = { [key: string]: unknown };

export interface RunSummary {
  runId: string; runbookId: string; runbookVersion: number; clusterId?: string | null; status: string; dryRun: boolean;
  waitingForApproval: boolean; startedBy: string; startedAt: string; endedAt?: string | null; error?: string | null;
}
export interface NodeState {
  nodeId: string; title: string; activity: string; state: string; attempts: number; outcome?: string | null;
  startedAt?: string | null; endedAt?: string | null; error?: string | null;
}
export interface JournalEntry {
  id: number; nodeId: string; attempt: number; status: string; startedAt: string; endedAt?: string | null;
  outcome?: string | null; outputs?: unknown; log?: string | null; error?: string | null;
}
export interface Approval {
  id: number; runId: string; nodeId: string; prompt: string; allowedRole: string; requestedAt: string;
  expiresAt?: string | null; decision?: string | null; decidedBy?: string | null; decidedAt?: string | null;
  comment?: string | null; startedBy: string;
}
export interface RunView {
  run: RunSummary; inputs: Record<string, unknown>; nodes: NodeState[]; journal: JournalEntry[]; approvals: Approval[];
}
export interface RunEvent {
  sequence: number; runId: string; kind: string; nodeId?: string | null; attempt?: number | null;
  status?: string | null; outcome?: string | null; message?: string | null; atUtc: string;
}

export interface ClusterSummary { id: string; name?: string; [extra: string]: unknown }
export interface ClusterInventory {
  id: string; name?: string; hosts: { name: string; address: string; sshPort?: number }[];
  roles: Record<string, string>; secrets?: Record<string, string>; settings?: Record<string, string>;
  [extra: string]: unknown;
}

export interface Session { name: string; role: Role }
export type Role = 'viewer' | 'operator' | 'approver' | 'admin';
export const roles: Role[] = ['viewer', 'operator', 'approver', 'admin'];
export const allows = (have: Role | undefined, need: Role) =>
  have !== undefined && roles.indexOf(have) >= roles.indexOf(need);
