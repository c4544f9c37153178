import { useState } from 'react';
import type { RunbookInput } from '../api/types';
import type { RunbookHeader } from '../model/graph';
import type { Issue } from '../model/validation';

interface Props {
  header: RunbookHeader; nodeIds: string[]; issues: Issue[]; readOnly: boolean; isNew: boolean; selectedCount: number;
  onChange(header: RunbookHeader): void;
}

/** With no single node selected: the runbook's own fields — id (new runbooks only), name, start node, run inputs. */
export function RunbookPanel({ header, nodeIds, issues, readOnly, isNew, selectedCount, onChange }: Props) {
  const [inputsText, setInputsText] = useState<string>();
  const [inputsError, setInputsError] = useState<string>();
  const errorsOf = (field: string) => issues.filter(i => i.field === field || i.field.startsWith(field + '.') || i.field.startsWith(field + '['));
  return (
    <div className="properties" aria-label="Runbook properties">
      <h2>Runbook</h2>
      {selectedCount > 1 && <p className="hint">{selectedCount} nodes selected: Delete removes them, Ctrl+C / Ctrl+V copies them.</p>}
      <label>Id
        <input value={header.id} readOnly={readOnly || !isNew} onChange={e => onChange({ ...header, id: e.target.value })} />
      </label>
      <label>Name
        <input value={header.name} readOnly={readOnly} onChange={e => onChange({ ...header, name: e.target.value })} aria-invalid={errorsOf('name').length > 0 || undefined} />
      </label>
      <label>Description
        <textarea rows={3} value={header.description ?? ''} readOnly={readOnly} onChange={e => onChange({ ...header, description: e.target.value || undefined })} />
      </label>
      <label>Start node
        <select value={header.start} disabled={readOnly} onChange={e => onChange({ ...header, start: e.target.value })} aria-invalid={errorsOf('start').length > 0 || undefined}>
          <option value="">(none)</option>
          {nodeIds.map(id => <option key={id} value={id}>{id}</option>)}
        </select>
      </label>
      <label>Run inputs (JSON: name → {'{type, default, required, description}'})
        <textarea rows={6} spellCheck={false} readOnly={readOnly} value={inputsText ?? JSON.stringify(header.inputs ?? {}, null, 2)}
          onChange={e => {
            setInputsText(e.target.value);
            try {
              const parsed = JSON.parse(e.target.value) as Record<string, RunbookInput>;
              if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('an object of input declarations');
              setInputsError(undefined);
              onChange({ ...header, inputs: parsed });
            } catch (x) { setInputsError((x as Error).message); }
          }}
          onBlur={() => { if (!inputsError) setInputsText(undefined); }} />
      </label>
      {inputsError && <p className="error">Not applied: {inputsError}</p>}
      {issues.length > 0 && <ul className="error">{issues.map((i, n) => <li key={n}><code>{i.field}</code>: {i.message}</li>)}</ul>}
      <p className="hint">Shortcuts: Ctrl+S save · Ctrl+Z / Ctrl+Shift+Z undo/redo · Delete · Ctrl+C / Ctrl+V / Ctrl+D · / search toolbox · Ctrl+Shift+L layout · Ctrl+J JSON · Ctrl+Space completes ${'{...}'} in a field.</p>
    </div>
  );
}
