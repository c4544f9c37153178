import type { Activity, ClusterInventory, Runbook } from '../api/types';

export interface Suggestion { path: string; detail: string }

/** Nodes from which `nodeId` can be reached: only their outputs exist when it runs. */
export function upstreamOf(runbook: Runbook, nodeId: string): string[] {
  const into = new Map<string, string[]>();
  for (const c of runbook.connections) into.set(c.to, [...(into.get(c.to) ?? []), c.from]);
  const seen = new Set<string>();
  const stack = [...(into.get(nodeId) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || n === nodeId) continue;
    seen.add(n);
    stack.push(...(into.get(n) ?? []));
  }
  return runbook.nodes.map(n => n.id).filter(id => seen.has(id));
}

const defaultRoles = ['master', 'slave', 'replica'];

/**
 * Every template a node's input may use (design §4): run inputs, roles, hosts, cluster settings, the outputs of
 * upstream nodes, and secret names — the names the cluster refers to, never a value (the designer never has one).
 */
export function templateScope(runbook: Runbook, nodeId: string, catalog: Activity[], cluster?: ClusterInventory): Suggestion[] {
  const out: Suggestion[] = [];
  for (const [name, input] of Object.entries(runbook.inputs ?? {}))
    out.push({ path: `inputs.${name}`, detail: `run input (${input.type})${input.description ? ': ' + input.description : ''}` });
  const roles = cluster ? Object.keys(cluster.roles) : defaultRoles;
  for (const role of roles) {
    const host = cluster?.roles[role];
    for (const key of ['address', 'name', 'sshPort'])
      out.push({ path: `roles.${role}.${key}`, detail: host ? `${role} is ${host} now` : `the ${role} host's ${key}` });
  }
  for (const host of cluster?.hosts ?? [])
    for (const key of ['address', 'name', 'sshPort'])
      out.push({ path: `hosts.${host.name}.${key}`, detail: key === 'address' ? host.address : `host ${host.name}` });
  for (const key of Object.keys(cluster?.settings ?? {}))
    out.push({ path: `cluster.settings.${key}`, detail: 'cluster setting' });
  for (const id of upstreamOf(runbook, nodeId)) {
    const node = runbook.nodes.find(n => n.id === id)!;
    const activity = catalog.find(a => a.name === node.activity);
    for (const [key, description] of Object.entries(activity?.outputs ?? {}))
      out.push({ path: `nodes.${id}.outputs.${key}`, detail: `${node.activity} output: ${description}` });
  }
  for (const [purpose, name] of Object.entries(cluster?.secrets ?? {}))
    out.push({ path: `secrets.${name}`, detail: `secret for ${purpose} (resolved only when the node runs)` });
  for (const key of ['id', 'runbook', 'version', 'cluster', 'dryRun'])
    out.push({ path: `run.${key}`, detail: 'this run' });
  return out;
}

/** The unfinished `${...` the caret is in, if any: what completion should filter by and replace. */
export function openTemplate(text: string, caret: number): { start: number; prefix: string } | undefined {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf('${');
  if (start < 0 || before.indexOf('}', start) >= 0) return undefined;
  return { start, prefix: before.slice(start + 2) };
}

export function complete(text: string, caret: number, path: string): { text: string; caret: number } {
  const open = openTemplate(text, caret);
  const start = open?.start ?? caret;
  const closing = text.slice(caret).startsWith('}') ? 1 : 0;
  const inserted = '${' + path + '}';
  return { text: text.slice(0, start) + inserted + text.slice(caret + closing), caret: start + inserted.length };
}

export const matching = (scope: Suggestion[], prefix: string) => {
  const p = prefix.toLowerCase();
  return scope.filter(s => s.path.toLowerCase().startsWith(p) || (p.length > 1 && s.path.toLowerCase().includes(p)));
};
