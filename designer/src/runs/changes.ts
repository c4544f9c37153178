/**
 * The changes in a node's log: a dry run's `[plan] host: change` lines and a real run's `[change] host: change` lines
 * (the server writes both in the same words). Lines of a plan that continue an entry (a file's content, a diff) are
 * kept with it, indented.
 */
export function journalChanges(log: string, dryRun: boolean): string[] {
  const marker = dryRun ? '[plan] ' : '[change] ';
  return log.split('\n').filter(l => l.startsWith(marker)).map(l => l.slice(marker.length));
}
