import { describe, expect, it } from 'vitest';
import type { ClusterInventory, Runbook } from '../src/api/types';
import { complete, matching, openTemplate, templateScope, upstreamOf } from '../src/model/templates';
import { activities } from './catalog';

const runbook: Runbook = {
  id: 'r', version: 1, name: 'r', start: 'check', inputs: { maxLagBytes: { type: 'integer' }, reason: { type: 'string', description: 'why' } },
  nodes: [
    { id: 'check', activity: 'CheckCluster' }, { id: 'approve', activity: 'WaitForApproval' }, { id: 'switch', activity: 'SwitchPgBouncer' },
    { id: 'after', activity: 'Log' }, { id: 'elsewhere', activity: 'Log' },
  ],
  connections: [{ from: 'check', outcome: 'Done', to: 'approve' }, { from: 'approve', outcome: 'Approved', to: 'switch' }, { from: 'switch', outcome: 'Done', to: 'after' }],
};
const cluster: ClusterInventory = {
  id: 'lab', hosts: [{ name: 'pg1', address: '10.0.0.1' }, { name: 'pg2', address: '10.0.0.2' }], roles: { master: 'pg1', slave: 'pg2' },
  secrets: { replicationPassword: 'lab-replication-password' }, settings: { poolMode: 'transaction' },
};

describe('template completion', () => {
  const scope = templateScope(runbook, 'switch', activities, cluster).map(s => s.path);

  it('offers run inputs, roles, hosts, cluster settings and secret names', () => {
    expect(scope).toEqual(expect.arrayContaining([
      'inputs.maxLagBytes', 'inputs.reason', 'roles.master.address', 'roles.slave.name', 'hosts.pg1.address', 'hosts.pg2.sshPort',
      'cluster.settings.poolMode', 'secrets.lab-replication-password', 'run.id',
    ]));
  });

  it('offers the outputs of upstream nodes only, as the catalog declares them', () => {
    expect(upstreamOf(runbook, 'switch')).toEqual(['check', 'approve']);
    expect(scope).toEqual(expect.arrayContaining(['nodes.check.outputs.snapshot', 'nodes.check.outputs.problems', 'nodes.approve.outputs.decidedBy', 'nodes.approve.outputs.comment']));
    expect(scope.filter(p => p.startsWith('nodes.after.') || p.startsWith('nodes.elsewhere.') || p.startsWith('nodes.switch.'))).toEqual([]);
  });

  it('never carries a secret value, only the name the cluster refers to', () => {
    const all = JSON.stringify(templateScope(runbook, 'switch', activities, { ...cluster, secrets: { replicationPassword: 'name-only' } }));
    expect(all).toContain('secrets.name-only');
    expect(all).not.toContain('lab-replication-password');
  });

  it('without a cluster still offers the three roles', () => {
    expect(templateScope(runbook, 'check', activities).map(s => s.path)).toContain('roles.replica.address');
  });

  it('completes the unfinished template at the caret', () => {
    expect(openTemplate('lag ${inputs.ma', 15)).toEqual({ start: 4, prefix: 'inputs.ma' });
    expect(openTemplate('done ${inputs.x} ', 17)).toBeUndefined();
    expect(complete('lag ${inputs.ma', 15, 'inputs.maxLagBytes')).toEqual({ text: 'lag ${inputs.maxLagBytes}', caret: 25 });
    expect(complete('a ${ro} b', 6, 'roles.master.address').text).toBe('a ${roles.master.address} b');
    expect(matching(templateScope(runbook, 'switch', activities, cluster), 'roles.m').map(s => s.path))
      .toEqual(['roles.master.address', 'roles.master.name', 'roles.master.sshPort']);
  });
});
