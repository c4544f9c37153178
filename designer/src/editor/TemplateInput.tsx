import { useRef, useState, type KeyboardEvent } from 'react';
import { complete, matching, openTemplate, type Suggestion } from '../model/templates';

interface Props {
  id: string; value: string; onChange(text: string): void; scope: Suggestion[];
  multiline?: boolean; placeholder?: string; disabled?: boolean; invalid?: boolean;
}

/**
 * A text field that completes `${...}` templates: typing `${` (or Ctrl+Space) lists what is in scope for this node,
 * filtered as you type; arrows pick, Enter or Tab inserts, Escape closes.
 */
export function TemplateInput({ id, value, onChange, scope, multiline, placeholder, disabled, invalid }: Props) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [open, setOpen] = useState<{ prefix: string } | undefined>();
  const [active, setActive] = useState(0);
  const options = open ? matching(scope, open.prefix).slice(0, 50) : [];

  const refresh = (text: string, caret: number, force = false) => {
    const t = openTemplate(text, caret);
    setOpen(t ? { prefix: t.prefix } : force ? { prefix: '' } : undefined);
    setActive(0);
  };
  const pick = (s: Suggestion) => {
    const el = ref.current!;
    let text = value, caret = el.selectionStart ?? value.length;
    if (!openTemplate(text, caret)) { text = text.slice(0, caret) + '${' + text.slice(caret); caret += 2; }
    const done = complete(text, caret, s.path);
    onChange(done.text);
    setOpen(undefined);
    requestAnimationFrame(() => { el.focus(); el.setSelectionRange(done.caret, done.caret); });
  };
  const keys = (e: KeyboardEvent) => {
    if (e.ctrlKey && e.key === ' ') { e.preventDefault(); refresh(value, ref.current?.selectionStart ?? 0, true); return; }
    if (!open || options.length === 0) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive(a => (a + 1) % options.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive(a => (a - 1 + options.length) % options.length); }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pick(options[active]); }
    else if (e.key === 'Escape') { e.stopPropagation(); setOpen(undefined); }
  };
  const common = {
    id, ref, value, placeholder, disabled, 'aria-invalid': invalid || undefined, autoComplete: 'off', spellCheck: false,
    className: 'template-input',
    onChange: (e: { target: HTMLInputElement | HTMLTextAreaElement }) => { onChange(e.target.value); refresh(e.target.value, e.target.selectionStart ?? 0); },
    onKeyDown: keys,
    onBlur: () => setTimeout(() => setOpen(undefined), 150),
  };
  return (
    <div className="template-field">
      {multiline ? <textarea rows={3} {...common} /> : <input type="text" {...common} />}
      {open && options.length > 0 && (
        <ul className="completions" role="listbox" aria-label="Templates in scope">
          {options.map((s, i) => (
            <li key={s.path} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}
                onMouseDown={e => { e.preventDefault(); pick(s); }}>
              <code>{'${' + s.path + '}'}</code> <span className="detail">{s.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
