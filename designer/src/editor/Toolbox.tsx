import { forwardRef, useMemo, useState } from 'react';
import type { Activity } from '../api/types';

export const dragType = 'application/x-pgha-activity';

/** The catalog grouped by category, filtered by the search box; drag an activity onto the canvas, or press Enter to add it. */
export const Toolbox = forwardRef<HTMLInputElement, { catalog: Activity[]; onAdd(activity: string): void; disabled: boolean }>(
  function Toolbox({ catalog, onAdd, disabled }, search) {
    const [filter, setFilter] = useState('');
    const groups = useMemo(() => {
      const f = filter.trim().toLowerCase();
      const shown = catalog.filter(a => !f || a.name.toLowerCase().includes(f) || a.description.toLowerCase().includes(f) || a.category.toLowerCase().includes(f));
      const by = new Map<string, Activity[]>();
      for (const a of shown) by.set(a.category, [...(by.get(a.category) ?? []), a]);
      return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
    }, [catalog, filter]);
    return (
      <aside className="toolbox" aria-label="Toolbox">
        <input ref={search} type="search" placeholder="Search activities (/)" value={filter} onChange={e => setFilter(e.target.value)}
          onKeyDown={e => { if (e.key === 'Enter' && groups[0]) onAdd(groups[0][1][0].name); }} aria-label="Search activities" />
        {groups.map(([category, activities]) => (
          <section key={category}>
            <h3>{category}</h3>
            {activities.map(a => (
              <div key={a.name} className={`tool${a.mutates ? ' mutates' : ''}`} draggable={!disabled} tabIndex={0} title={a.description}
                data-activity={a.name}
                onDragStart={e => { e.dataTransfer.setData(dragType, a.name); e.dataTransfer.effectAllowed = 'move'; }}
                onKeyDown={e => { if (e.key === 'Enter' && !disabled) onAdd(a.name); }}
                onDoubleClick={() => !disabled && onAdd(a.name)}>
                <b>{a.name}</b>
                <span>{a.outcomes.join(' · ')}</span>
              </div>
            ))}
          </section>
        ))}
        {groups.length === 0 && <p className="hint">No activity matches '{filter}'.</p>}
      </aside>
    );
  });
