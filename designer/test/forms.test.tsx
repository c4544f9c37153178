import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import validator from '@rjsf/validator-ajv8';
import { InputsForm } from '../src/editor/InputsForm';
import { templateAware } from '../src/model/schema';
import { activities } from './catalog';

afterEach(cleanup);

describe('property form of every activity in the catalog', () => {
  it('has the catalog', () => expect(activities.length).toBeGreaterThanOrEqual(10));

  it.each(activities.map(a => [a.name, a] as const))('%s renders a field per input, with its description', (_, activity) => {
    const { container } = render(<InputsForm activity={activity} value={{}} onChange={() => undefined} scope={[]} serverErrors={{}} />);
    const properties = Object.entries((activity.inputSchema.properties ?? {}) as Record<string, { description?: string }>);
    if (properties.length === 0) expect(container.textContent).toContain('has no inputs');
    for (const [name, property] of properties) {
      expect(container.querySelector(`#root_${name}`), `field ${name}`).not.toBeNull();
      if (property.description) expect(container.textContent).toContain(property.description);
    }
  });

  it('shows the server\'s message on the field it names', () => {
    const approval = activities.find(a => a.name === 'WaitForApproval')!;
    const { container } = render(<InputsForm activity={approval} value={{ role: 'approver' }} onChange={() => undefined} scope={[]}
      serverErrors={{ prompt: ['WaitForApproval requires input \'prompt\''] }} />);
    const field = container.querySelector('#root_prompt')!.closest('.form-group')!;
    expect(within(field as HTMLElement).getByText(/requires input 'prompt'/)).toBeTruthy();
    const role = container.querySelector('#root_role')!.closest('.form-group')!;
    expect(role.textContent).not.toMatch(/requires/);
  });

  it('stores a typed number as a number and a template as text', () => {
    const delay = activities.find(a => a.name === 'Delay')!;
    const seen: Record<string, unknown>[] = [];
    render(<InputsForm activity={delay} value={{}} onChange={v => seen.push(v)} scope={[]} serverErrors={{}} />);
    const input = document.querySelector('#root_seconds') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '30' } });
    expect(seen.at(-1)).toEqual({ seconds: 30 });
    fireEvent.change(input, { target: { value: '${inputs.wait}' } });
    expect(seen.at(-1)).toEqual({ seconds: '${inputs.wait}' });
  });

  it('offers completion in a field as soon as ${ is typed', () => {
    const log = activities.find(a => a.name === 'Log')!;
    let value: Record<string, unknown> = {};
    const scope = [{ path: 'inputs.reason', detail: 'run input' }, { path: 'roles.master.address', detail: '' }];
    const { rerender } = render(<InputsForm activity={log} value={value} onChange={v => { value = v; }} scope={scope} serverErrors={{}} />);
    const input = document.querySelector('#root_message') as HTMLTextAreaElement;
    input.focus();
    fireEvent.change(input, { target: { value: 'why: ${in', selectionStart: 9 } });
    rerender(<InputsForm activity={log} value={value} onChange={v => { value = v; }} scope={scope} serverErrors={{}} />);
    const options = screen.getAllByRole('option').map(o => o.textContent);
    expect(options).toEqual([expect.stringContaining('${inputs.reason}')]);
  });
});

describe('template-aware schemas', () => {
  const validate = (activity: string, data: object) => {
    const { schema } = templateAware(activities.find(a => a.name === activity)!.inputSchema);
    return validator.validateFormData(data, schema).errors.map(e => e.property);
  };
  it('accept a template where a number is declared, and refuse other text', () => {
    expect(validate('Delay', { seconds: 5 })).toEqual([]);
    expect(validate('Delay', { seconds: '${inputs.wait}' })).toEqual([]);
    expect(validate('Delay', { seconds: 'soon' })).toContain('.seconds');
    expect(validate('WaitForApproval', { prompt: 'p', expiresAfterSeconds: null })).toEqual([]);
  });
  it('still require the required inputs', () => {
    expect(validate('WaitForApproval', {})).toContain('prompt');
  });
});
