import { useMemo } from 'react';
import Form from '@rjsf/core';
import validator from '@rjsf/validator-ajv8';
import type { ErrorSchema, RegistryWidgetsType, WidgetProps } from '@rjsf/utils';
import type { Activity } from '../api/types';
import { coerce, templateAware } from '../model/schema';
import type { Suggestion } from '../model/templates';
import { TemplateInput } from './TemplateInput';

interface Props {
  activity: Activity; value: Record<string, unknown>; onChange(inputs: Record<string, unknown>): void;
  scope: Suggestion[]; serverErrors: Record<string, string[]>; readOnly?: boolean;
}

function TemplateWidget(props: WidgetProps) {
  const numeric = props.options.numeric as string | undefined;
  const long = typeof props.value === 'string' && props.value.length > 60;
  return (
    <TemplateInput id={props.id} value={props.value === undefined || props.value === null ? '' : String(props.value)}
      onChange={text => props.onChange(coerce(text, numeric))} scope={props.registry.formContext.scope as Suggestion[]}
      multiline={long || props.name === 'prompt' || props.name === 'message'} disabled={props.disabled || props.readonly}
      invalid={(props.rawErrors?.length ?? 0) > 0}
      placeholder={props.schema.default !== undefined ? `default: ${JSON.stringify(props.schema.default)}` : numeric ? 'a number or ${...}' : undefined} />
  );
}
const widgets: RegistryWidgetsType = { template: TemplateWidget };

/**
 * The node's inputs as a form generated from the activity's JSON schema (descriptions as help, defaults shown),
 * validated as you type; the server's problems for a field are shown on that field.
 */
export function InputsForm({ activity, value, onChange, scope, serverErrors, readOnly }: Props) {
  const { schema, uiSchema } = useMemo(() => templateAware(activity.inputSchema), [activity]);
  const extraErrors = useMemo(() => {
    const e: Record<string, { __errors: string[] }> = {};
    for (const [field, messages] of Object.entries(serverErrors)) e[field] = { __errors: messages };
    return e as ErrorSchema;
  }, [serverErrors]);
  if (Object.keys((schema.properties ?? {}) as object).length === 0) return <p className="hint">{activity.name} has no inputs.</p>;
  return (
    <Form schema={schema} uiSchema={{ ...uiSchema, 'ui:submitButtonOptions': { norender: true } }} formData={value}
      validator={validator} widgets={widgets} formContext={{ scope }} liveValidate="onChange" showErrorList={false}
      extraErrors={extraErrors} readonly={readOnly} noHtml5Validate
      onChange={e => onChange(dropEmpty(e.formData ?? {}))} />
  );
}

// An emptied field means "not set" (the activity's default applies), not an empty string.
function dropEmpty(inputs: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}
