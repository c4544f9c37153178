import { describe, expect, it } from 'vitest';
import { journalChanges } from '../src/runs/changes';

describe('the changes of a node', () => {
  const log = [
    '[pgha-master] $ bash /home/silkcloud/pgha/setup_master.sh',
    '[plan] pgha-master: write /var/lib/postgresql/15/pgha/pgha.conf (mode 600)',
    '[plan] pgha-master:     port = 5432',
    '[change] pgha-master: SQL on postgres: SELECT pg_reload_conf()',
    '[pgha-master] exit code 0 after 0.210 s',
  ].join('\n');

  it('of a dry run are its plan lines, content lines included', () => {
    expect(journalChanges(log, true)).toEqual([
      'pgha-master: write /var/lib/postgresql/15/pgha/pgha.conf (mode 600)',
      'pgha-master:     port = 5432',
    ]);
  });

  it('of a real run are the changes it recorded, not its output', () => {
    expect(journalChanges(log, false)).toEqual(['pgha-master: SQL on postgres: SELECT pg_reload_conf()']);
  });
});
