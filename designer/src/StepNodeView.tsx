import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { findActivity, useCatalog } from './catalog';
import type { StepNode } from './model/graph';
import type { Change } from './model/diff';
import type { Shade } from './model/runState';

/** Extra, never-saved facts a canvas shows on a node: problems, live state, diff mark, dimming. */
export interface NodeMarks { issues?: string[]; shade?: Shade; change?: Change; dim?: boolean; isStart?: boolean; attempts?: number }

/**
 * A runbook node: title and activity, one input handle, one labelled output handle per declared outcome. Fork and
 * Join are drawn as bars (they split and merge branches, they do no work).
 */
export const StepNodeView = memo(function StepNodeView({ data, selected }: NodeProps<StepNode>) {
  const catalog = useCatalog();
  const { step } = data;
  const marks = data as unknown as NodeMarks;
  const activity = findActivity(catalog, step.activity);
  const outcomes = activity?.outcomes ?? ['Done', 'Failed'];
  const flow = step.activity === 'Fork' || step.activity === 'Join';
  const classes = ['step', flow ? `flow flow-${step.activity.toLowerCase()}` : '', marks.shade ? `status-${marks.shade}` : '',
    marks.change ? `change-${marks.change}` : '', marks.dim ? 'dim' : '', marks.issues?.length ? 'has-issues' : '', selected ? 'selected' : '']
    .filter(Boolean).join(' ');
  return (
    <div className={classes} data-node={step.id} title={step.description ?? activity?.description}>
      <Handle type="target" position={Position.Left} id="in" />
      <div className="step-head">
        <span className="step-activity">{step.activity}{marks.isStart ? ' · start' : ''}</span>
        {marks.shade && <span className={`badge badge-${marks.shade}`}>{marks.shade}{marks.attempts && marks.attempts > 1 ? ` ×${marks.attempts}` : ''}</span>}
        {!!marks.issues?.length && <span className="badge badge-issue" title={marks.issues.join('\n')}>{marks.issues.length} problem{marks.issues.length > 1 ? 's' : ''}</span>}
      </div>
      <div className="step-title">{step.title || step.id}</div>
      {step.title && <div className="step-id">{step.id}</div>}
      <div className="outcomes">
        {outcomes.map((o, i) => (
          <div key={o} className="outcome" style={{ top: `${((i + 1) * 100) / (outcomes.length + 1)}%` }}>
            <span className="outcome-label">{o}</span>
            <Handle type="source" position={Position.Right} id={o} className={`handle-${o.toLowerCase()}`} />
          </div>
        ))}
      </div>
    </div>
  );
});

export const nodeTypes = { step: StepNodeView };
