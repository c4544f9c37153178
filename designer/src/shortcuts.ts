import { useEffect, useRef } from 'react';

/** Keys as "mod+shift+z" (mod = Ctrl, or Cmd on a Mac). */
export type Shortcuts = Record<string, () => void>;

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export function keyOf(e: KeyboardEvent): string {
  const parts = [];
  if (e.ctrlKey || e.metaKey) parts.push('mod');
  if (e.altKey) parts.push('alt');
  if (e.shiftKey && e.key.length === 1 && e.key.toLowerCase() !== e.key.toUpperCase()) parts.push('shift');
  parts.push(e.key.toLowerCase());
  return parts.join('+');
}

/**
 * Page shortcuts. While the focus is in a text field only the ones with a modifier that a field has no use for
 * (save, approve) apply; undo, copy and paste there are the field's own.
 */
export function useShortcuts(shortcuts: Shortcuts, inFields: string[] = ['mod+s']) {
  const current = useRef(shortcuts);
  current.current = shortcuts;
  useEffect(() => {
    const handle = (e: KeyboardEvent) => {
      const key = keyOf(e);
      const action = current.current[key];
      if (!action || (typing(e.target) && !inFields.includes(key))) return;
      e.preventDefault();
      action();
    };
    window.addEventListener('keydown', handle);
    return () => window.removeEventListener('keydown', handle);
  }, [inFields]);
}
