import { useState } from 'react';
import { hasErrors, rules, validate, type Errors } from '../lib/validate';
import { Field } from './Field';
import { FormActions, FormCard } from './FormCard';

/** A required name and an optional description (create or rename a knowledge base, edit a tenant); `onSave` gets the name trimmed. */
export function NameDescriptionForm(props: {
  title: string;
  name: string;
  description: string;
  busy: boolean;
  onCancel: () => void;
  onSave: (v: { name: string; description: string }) => void;
}) {
  const [values, setValues] = useState({ name: props.name, description: props.description });
  const [errors, setErrors] = useState<Errors<'name' | 'description'>>({});
  return (
    <FormCard
      title={props.title}
      onSubmit={() => {
        const found = validate(values, { name: rules.displayName('Name'), description: rules.description });
        setErrors(found);
        if (!hasErrors(found)) props.onSave({ name: values.name.trim(), description: values.description });
      }}
    >
      <Field label="Name" value={values.name} onChange={(v) => setValues({ ...values, name: v })} error={errors.name} required autoFocus />
      <Field label="Description" value={values.description} onChange={(v) => setValues({ ...values, description: v })} error={errors.description} />
      <FormActions submitLabel="Save" busy={props.busy} onCancel={props.onCancel} />
    </FormCard>
  );
}
