import { describe, expect, it } from 'vitest';
import { inputIssues, issuesFrom } from '../src/model/validation';

describe('server validation problems', () => {
  // Keys as the server sends them (README: nodes.approve.inputs.prompt, inputs.maxLagBytes, ...).
  const errors = {
    'nodes.approve.inputs.prompt': ['WaitForApproval requires input \'prompt\''],
    'nodes.db.primary.timeoutSeconds': ['must be at least 1'],
    'nodes.db.retry.attempts': ['must be at least 1'],
    start: ['name the node the run starts at in "start"'],
    'connections[1].outcome': ['Log has no outcome \'Nope\''],
  };
  const issues = issuesFrom(errors, ['approve', 'db', 'db.primary']);

  it('land on the node and field they name, even when node ids contain dots', () => {
    expect(issues).toEqual(expect.arrayContaining([
      { nodeId: 'approve', field: 'inputs.prompt', message: 'WaitForApproval requires input \'prompt\'' },
      { nodeId: 'db.primary', field: 'timeoutSeconds', message: 'must be at least 1' },
      { nodeId: 'db', field: 'retry.attempts', message: 'must be at least 1' },
    ]));
  });

  it('keep runbook-level problems off every node', () => {
    expect(issues.filter(i => i.nodeId === undefined).map(i => i.field)).toEqual(['start', 'connections[1].outcome']);
  });

  it('give the property form its per-input messages', () => {
    expect(inputIssues(issues, 'approve')).toEqual({ prompt: ['WaitForApproval requires input \'prompt\''] });
    expect(inputIssues(issues, 'db')).toEqual({});
  });
});
