/**
 * Fills a form as a person would before submitting it: a text field gets its value, a checkbox is
 * checked or not (`true`/`false`, or its value, or an array of the values to check), a radio
 * button of the group whose value is given is checked, a select has the option(s) selected. A field
 * is named by its `name`, or by its `id` when none has that name. The form's data is then read by
 * the client itself (client/form-fields.ts) or the page's own script, not from these values.
 */
import type { Element, HTMLFormElement } from 'happy-dom';

/** What `page.submit(selector, fields)` may give each field name. */
export type FieldValue = string | number | boolean | readonly (string | number)[];

interface FieldLike {
  tagName: string;
  type?: string;
  value: string;
  checked?: boolean;
  multiple?: boolean;
  options?: ArrayLike<{ value: string; selected: boolean }>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

export function fillFields(form: HTMLFormElement, fields: Readonly<Record<string, FieldValue>>): void {
  for (const [name, value] of Object.entries(fields)) {
    const byName = [...form.elements].filter((el) => (el as unknown as Element).getAttribute('name') === name);
    // A field with no name (a page script reads it by id) is found by its id.
    const named = (byName.length > 0
      ? byName
      : [...form.elements].filter((el) => el.id === name)) as unknown as FieldLike[];
    if (named.length === 0) {
      throw new Error(
        `submit(): the form has no field named (or with the id) '${name}' (its fields: ${fieldNames(form)})`,
      );
    }
    const values = (Array.isArray(value) ? value : [value]).map(String);
    for (const field of named) setField(field, value, values);
  }
}

function setField(field: FieldLike, value: FieldValue, values: string[]): void {
  const type = field.type ?? '';
  if (type === 'checkbox') {
    field.checked =
      typeof value === 'boolean' ? value : values.includes(field.hasAttribute('value') ? field.value : 'on');
  } else if (type === 'radio') {
    field.checked = values.includes(field.value);
  } else if (field.tagName === 'SELECT') {
    for (const option of Array.from(field.options ?? [])) option.selected = values.includes(option.value);
  } else {
    field.value = values.join(',');
  }
}

/**
 * Why a browser would not submit `form` with `button` (its constraint validation: a `required`
 * field left empty, a `pattern` not met...): each invalid field's name and message, or none.
 */
export function refusedFields(form: HTMLFormElement, button: Element | null): string[] {
  const skipsChecks = form.noValidate || (button as { formNoValidate?: boolean } | null)?.formNoValidate === true;
  if (skipsChecks || form.checkValidity()) return [];
  type Checked = Element & { checkValidity(): boolean; validationMessage: string };
  return ([...form.elements] as unknown as Checked[])
    .filter((el) => !el.checkValidity())
    .map((el) => `${el.getAttribute('name') ?? el.id}: ${el.validationMessage}`);
}

function fieldNames(form: HTMLFormElement): string {
  const names = new Set<string>();
  for (const el of form.elements) {
    const name = (el as unknown as Element).getAttribute('name');
    if (name) names.add(`'${name}'`);
  }
  return names.size === 0 ? 'none' : [...names].join(', ');
}
