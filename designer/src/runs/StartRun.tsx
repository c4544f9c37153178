import { useEffect, useMemo, useState } from 'react';
import Form from '@rjsf/core';
import validator from '@rjsf/validator-ajv8';
import type { ApiError } from '../api/client';
import { getRunbook, listRunbooks } from '../api/runbooks';
import { listClusters, startRun } from '../api/runs';
import type { JsonSchema, Runbook } from '../api/types';
import { normalize } from '../model/graph';
import { ProblemBanner } from '../ProblemBanner';
import { navigate } from '../router';
import { useLoad } from '../useLoad';

/** The runbook's declared inputs as a JSON schema for the start form (types, defaults, descriptions, required). */
export function inputSchema(runbook: Runbook): JsonSchema {
  const inputs = runbook.inputs ?? {};
  return {
    type: 'object',
    required: Object.entries(inputs).filter(([, i]) => i.required).map(([n]) => n),
    properties: Object.fromEntries(Object.entries(inputs).map(([name, i]) => [name, {
      type: i.type, title: name, ...(i.description ? { description: i.description } : {}), ...(i.default !== undefined ? { default: i.default } : {}),
    }])),
  };
}

/** Start a run: runbook, version, cluster, the runbook's inputs and the dry-run switch. */
export function StartRun({ runbookId }: { runbookId?: string }) {
  const runbooks = useLoad(listRunbooks, []);
  const clusters = useLoad(listClusters, []);
  const [id, setId] = useState(runbookId ?? '');
  const [runbook, setRunbook] = useState<Runbook>();
  const [cluster, setCluster] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [inputs, setInputs] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<ApiError>();
  useEffect(() => { if (id) getRunbook(id).then(r => setRunbook(normalize(r)), setError); else setRunbook(undefined); }, [id]);
  useEffect(() => { if (!cluster && clusters.data?.length === 1) setCluster(clusters.data[0].id); }, [clusters.data, cluster]);
  const schema = useMemo(() => (runbook ? inputSchema(runbook) : undefined), [runbook]);
  const start = async () => {
    try {
      // No version: the server runs the one it considers current (the latest; the published one once drafts exist).
      const run = await startRun({ runbook: id, cluster: cluster || undefined, inputs, dryRun });
      navigate(`/runs/${encodeURIComponent(run.run.runId)}`);
    } catch (e) { setError(e as ApiError); }
  };
  return (
    <div className="page start-run">
      <h1>Start a run</h1>
      <ProblemBanner error={runbooks.error ?? clusters.error} />
      <label>Runbook
        <select value={id} onChange={e => setId(e.target.value)}>
          <option value="">choose…</option>
          {runbooks.data?.map(r => <option key={r.id} value={r.id}>{r.name} ({r.id} v{r.version})</option>)}
        </select>
      </label>
      <label>Cluster
        <select value={cluster} onChange={e => setCluster(e.target.value)}>
          <option value="">(none: only for runbooks that touch no host)</option>
          {clusters.data?.map(c => <option key={c.id} value={c.id}>{c.name ?? c.id}</option>)}
        </select>
      </label>
      {schema && Object.keys(schema.properties as object).length > 0 && (
        <fieldset><legend>Inputs</legend>
          <Form schema={schema} formData={inputs} validator={validator} liveValidate="onChange" showErrorList={false}
            uiSchema={{ 'ui:submitButtonOptions': { norender: true } }} onChange={e => setInputs(e.formData ?? {})} />
        </fieldset>
      )}
      <label className="inline"><input type="checkbox" checked={dryRun} onChange={e => setDryRun(e.target.checked)} /> Dry run (only read-only checks; each node records what it would change)</label>
      <div className="row"><button className="primary" disabled={!runbook} onClick={start}>{dryRun ? 'Start dry run' : 'Start run'}</button></div>
      <ProblemBanner error={error} what="not started" />
    </div>
  );
}
