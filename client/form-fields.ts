/**
 * What a form or a field says to the server when a declarative event (declarative-events.ts)
 * is raised on it: plain JSON, the shape a script can validate without knowing the DOM.
 *
 * A form's data has a key per field name. A name carried by more than one field (radio groups
 * excepted: they give one value) is always an array, even with one value or none, so that a
 * script sees the same shape whatever was checked. A checkbox with no `value` attribute is a
 * boolean; one with a value gives it when checked and nothing when not. A multiple select is an
 * array. Files, buttons, disabled and unnamed fields are left out.
 */

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

const SKIPPED_TYPES = new Set(['file', 'submit', 'button', 'reset', 'image']);

export function isField(el: Element): el is Field {
  return el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;
}

/**
 * The value a field gives, or `undefined` when it gives none (an unchecked radio, or an
 * unchecked checkbox that has a value).
 */
export function fieldValue(field: Field): unknown {
  if (field instanceof HTMLSelectElement && field.multiple) {
    return [...field.selectedOptions].map((option) => option.value);
  }
  if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) {
    if (field.type === 'checkbox' && !field.hasAttribute('value')) return field.checked;
    return field.checked ? field.value : undefined;
  }
  return field.value;
}

/** The form's fields as one object (see the module's comment). */
export function formData(form: HTMLFormElement): Record<string, unknown> {
  const fields = [...form.elements].filter(
    // `:disabled`, not `.disabled`: a field inside a disabled <fieldset> is disabled too, as a form submission has it.
    (el): el is Field => isField(el) && el.name !== '' && !el.matches(':disabled') && !SKIPPED_TYPES.has(el.type),
  );
  // How many fields give a value under each name; a radio group counts once.
  const counts = new Map<string, number>();
  const radioGroups = new Set<string>();
  for (const field of fields) {
    if (field.type === 'radio') {
      if (radioGroups.has(field.name)) continue;
      radioGroups.add(field.name);
    }
    counts.set(field.name, (counts.get(field.name) ?? 0) + 1);
  }
  const data: Record<string, unknown> = Object.create(null);
  for (const [name, count] of counts) if (count > 1) data[name] = [];
  for (const field of fields) {
    const value = fieldValue(field);
    if (value === undefined) continue;
    const kept = data[field.name];
    if (Array.isArray(kept)) kept.push(value);
    else data[field.name] = value;
  }
  return { ...data };
}

/** One field's data: `{ value }`, with its `name` when it has one. */
export function fieldData(el: Element): Record<string, unknown> {
  if (!isField(el)) return {};
  const value = fieldValue(el);
  const data: Record<string, unknown> = { value: value === undefined ? null : value };
  if (el.name) data.name = el.name;
  return data;
}

/** The data of the element an event came from: a form's fields, a field's value, or nothing. */
export function elementData(el: Element): Record<string, unknown> {
  if (el instanceof HTMLFormElement) return formData(el);
  return fieldData(el);
}
