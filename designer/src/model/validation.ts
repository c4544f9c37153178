/**
 * The server's validation problems are keyed `nodes.{node}.{field}` for a node (field e.g. `inputs.prompt`,
 * `activity`, `retry.attempts`) and by the field alone otherwise (`start`, `connections[2].outcome`, `$`).
 */
export interface Issue { nodeId?: string; field: string; message: string }

export function issuesFrom(errors: Record<string, string[]>, nodeIds: Iterable<string>): Issue[] {
  // Node ids may contain dots, so match the longest known id rather than splitting on the first dot.
  const ids = [...nodeIds].sort((a, b) => b.length - a.length);
  const issues: Issue[] = [];
  for (const [key, messages] of Object.entries(errors)) {
    const id = key.startsWith('nodes.') ? ids.find(i => key === `nodes.${i}` || key.startsWith(`nodes.${i}.`)) : undefined;
    const field = id === undefined ? key : key.slice(`nodes.${id}.`.length) || '$';
    for (const message of messages) issues.push({ nodeId: id, field, message });
  }
  return issues;
}

export const issuesOf = (issues: Issue[], nodeId: string) => issues.filter(i => i.nodeId === nodeId);

/** The problems of one input field of a node, for the property form (`inputs.prompt` → `prompt`). */
export function inputIssues(issues: Issue[], nodeId: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of issuesOf(issues, nodeId)) {
    if (!i.field.startsWith('inputs.')) continue;
    const name = i.field.slice('inputs.'.length).split(/[.[]/)[0];
    (out[name] ??= []).push(i.message);
  }
  return out;
}
