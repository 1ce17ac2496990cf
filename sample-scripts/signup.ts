// A sign-up form checked as you type, each field's error beside it, with no client code. The
// whole form is a view: as a handler changes the state, the view is rendered again and morphed
// in, and the field being typed in keeps its focus, caret and value.
import { layout } from './_layout.ts';

const FIELDS = ['name', 'email', 'password', 'confirm'] as const;
type Field = (typeof FIELDS)[number];

const values: Record<Field, string> = { name: '', email: '', password: '', confirm: '' };
/** A field's error shows once the person has typed in it, or tried to submit. */
const touched = new Set<Field>();
let welcomed = '';

function errorOf(field: Field): string {
  const value = values[field];
  switch (field) {
    case 'name':
      return value.trim().length < 2 ? 'At least 2 characters.' : '';
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? '' : 'Not an email address yet.';
    case 'password':
      return value.length < 8 ? 'At least 8 characters.' : '';
    case 'confirm':
      return value !== values.password ? 'Not the same as the password.' : '';
  }
}

const shown = (field: Field) => (touched.has(field) ? errorOf(field) : '');

/**
 * A field and its error. Every field carries its value: a field whose HTML has none is emptied by
 * the morph when it is not the focused one (the password too: it goes only to this page's browser).
 */
const field = (name: Field, label: string, type: string, autocomplete: string) =>
  html`<p><label for="${name}">${label}</label><br>
<input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" value="${values[name]}"
  pw-input="check" aria-describedby="${name}-error" ${shown(name) ? raw('aria-invalid="true"') : ''}>
<span id="${name}-error" class="error">${shown(name)}</span></p>`;

// The email field is `type="text"`: the script checks it, and the browser gives an email field's
// caret to no one (its selectionStart is null).
const view = page.view(() =>
  welcomed
    ? html`<p id="welcome">Welcome, ${welcomed}!</p>`
    : html`<form id="signup" pw-submit="signup" novalidate>
${field('name', 'Name', 'text', 'name')}
${field('email', 'Email', 'text', 'email')}
${field('password', 'Password', 'password', 'new-password')}
${field('confirm', 'Password again', 'password', 'new-password')}
<button>Sign up</button>
</form>`,
);

echo(layout('Sign up', html`<style>.error { color: #b00020; }</style><h1>Sign up</h1>${view}`));

const isField = (name: unknown): name is Field => FIELDS.includes(name as Field);

function __serverSocketEvent(name: string, data: Record<string, unknown>) {
  if (name === 'check' && isField(data.name) && typeof data.value === 'string') {
    values[data.name] = data.value.slice(0, 200);
    touched.add(data.name);
  } else if (name === 'signup') {
    for (const f of FIELDS) {
      const value = data[f];
      if (typeof value === 'string') values[f] = value.slice(0, 200);
      touched.add(f);
    }
    if (FIELDS.every((f) => errorOf(f) === '')) welcomed = values.name.trim();
  }
}
