import { useState } from 'react';
import type { Activity, NodeRetry, RunbookNode } from '../api/types';
import type { Issue } from '../model/validation';
import { inputIssues, issuesOf } from '../model/validation';
import type { Suggestion } from '../model/templates';
import { InputsForm } from './InputsForm';

type Step = Omit<RunbookNode, 'position'>;

interface Props {
  step: Step; activity?: Activity; issues: Issue[]; scope: Suggestion[]; readOnly: boolean;
  onChange(step: Step, field: string): void; onRename(newId: string): string | undefined;
}

const num = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The selected node: identity, inputs (schema form), retry and timeout, and its problems. */
export function PropertyPanel({ step, activity, issues, scope, readOnly, onChange, onRename }: Props) {
  const [idDraft, setIdDraft] = useState<string>();
  const [renameError, setRenameError] = useState<string>();
  const mine = issuesOf(issues, step.id);
  const fieldErrors = (field: string) => mine.filter(i => i.field === field || i.field.startsWith(field + '.')).map(i => i.message);
  const setRetry = (patch: Partial<NodeRetry>) => {
    const retry = { attempts: step.retry?.attempts ?? 1, ...step.retry, ...patch };
    const empty = (retry.attempts === undefined || Number.isNaN(retry.attempts)) && !retry.delaySeconds;
    onChange({ ...step, retry: empty ? undefined : retry }, 'retry');
  };
  return (
    <div className="properties" aria-label="Node properties">
      <h2>{step.activity} <small>{activity?.category}</small></h2>
      {activity && <p className="hint">{activity.description}</p>}
      {!activity && <p className="error">Unknown activity '{step.activity}': it is not in the server's catalog.</p>}
      <label>Node id
        <input value={idDraft ?? step.id} readOnly={readOnly} aria-invalid={!!renameError || undefined}
          onChange={e => setIdDraft(e.target.value)}
          onBlur={() => { if (idDraft !== undefined && idDraft !== step.id) setRenameError(onRename(idDraft)); setIdDraft(undefined); }}
          onKeyDown={e => { if (e.key === 'Enter') (e.target as HTMLInputElement).blur(); }} />
      </label>
      {renameError && <p className="error">{renameError}</p>}
      <label>Title
        <input value={step.title ?? ''} readOnly={readOnly} onChange={e => onChange({ ...step, title: e.target.value || undefined }, 'title')} />
      </label>
      <label>Description
        <textarea rows={2} value={step.description ?? ''} readOnly={readOnly} onChange={e => onChange({ ...step, description: e.target.value || undefined }, 'description')} />
      </label>
      <fieldset>
        <legend>Inputs</legend>
        {activity
          ? <InputsForm activity={activity} value={step.inputs ?? {}} scope={scope} serverErrors={inputIssues(issues, step.id)} readOnly={readOnly}
              onChange={inputs => onChange({ ...step, inputs }, 'inputs')} />
          : <pre>{JSON.stringify(step.inputs ?? {}, null, 2)}</pre>}
      </fieldset>
      <fieldset className="row">
        <legend>Retry and timeout</legend>
        <label>Attempts
          <input type="number" min={1} value={step.retry?.attempts ?? ''} placeholder="1" readOnly={readOnly}
            onChange={e => setRetry({ attempts: num(e.target.value) as number })} aria-invalid={fieldErrors('retry').length > 0 || undefined} />
        </label>
        <label>Delay (s)
          <input type="number" min={0} value={step.retry?.delaySeconds ?? ''} placeholder="0" readOnly={readOnly}
            onChange={e => setRetry({ delaySeconds: num(e.target.value) })} />
        </label>
        <label>Timeout (s)
          <input type="number" min={1} value={step.timeoutSeconds ?? ''} placeholder="none" readOnly={readOnly}
            onChange={e => onChange({ ...step, timeoutSeconds: num(e.target.value) }, 'timeoutSeconds')}
            aria-invalid={fieldErrors('timeoutSeconds').length > 0 || undefined} />
        </label>
      </fieldset>
      {mine.length > 0 && (
        <div className="node-issues" role="alert">
          <b>Problems</b>
          <ul>{mine.map((i, n) => <li key={n}><code>{i.field}</code>: {i.message}</li>)}</ul>
        </div>
      )}
    </div>
  );
}
