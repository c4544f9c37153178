import { useEffect, useState } from 'react';
import type { Runbook } from '../api/types';

/**
 * The runbook as JSON, both ways: canvas edits show here at once, and valid JSON typed here redraws the canvas.
 * Text that does not parse stays in the box with the parser's message until it does.
 */
export function JsonView({ runbook, onChange, readOnly }: { runbook: Runbook; onChange(r: Runbook): void; readOnly: boolean }) {
  const shown = JSON.stringify(runbook, null, 2);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState(false);
  useEffect(() => { if (!editing) { setText(shown); setError(undefined); } }, [shown, editing]);

  const edit = (value: string) => {
    setText(value);
    let parsed: unknown;
    try { parsed = JSON.parse(value); } catch (e) { setError(String((e as Error).message)); return; }
    const r = parsed as Runbook;
    if (!r || typeof r !== 'object' || !Array.isArray(r.nodes) || !Array.isArray(r.connections)) {
      setError('A runbook is an object with "nodes" and "connections" arrays.');
      return;
    }
    if (r.nodes.some(n => !n || typeof n.id !== 'string' || typeof n.activity !== 'string')) {
      setError('Every node needs a string "id" and "activity".');
      return;
    }
    setError(undefined);
    onChange(r);
  };
  return (
    <div className="json-view">
      <h2>JSON</h2>
      <textarea aria-label="Runbook JSON" spellCheck={false} value={text} readOnly={readOnly}
        onFocus={() => setEditing(true)} onBlur={() => setEditing(false)} onChange={e => edit(e.target.value)} />
      {error && <p className="error" role="alert">Not applied: {error}</p>}
    </div>
  );
}
