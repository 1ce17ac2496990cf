// A todo list with no client code: the attributes send the person's actions, and the view
// follows the list. A handler changes `todos`; Pagewire renders the view again and morphs it in.
import { layout } from './_layout.ts';

type Todo = { id: number; text: string; done: boolean };

let todos: Todo[] = [];
let nextId = 1;

const view = page.view(() => {
  const left = todos.filter((todo) => !todo.done).length;
  return html`<form id="add" pw-submit="add">
  <input id="new-todo" name="text" placeholder="What needs doing?" maxlength="200" autocomplete="off" value="">
  <button>Add</button>
</form>
<ul id="todos">${todos.map(
    (todo) => html`<li id="todo-${todo.id}">
  <label><input type="checkbox" id="done-${todo.id}" pw-change="toggle" pw-value-id="${todo.id}"
    ${todo.done ? 'checked' : ''}> ${todo.done ? html`<s>${todo.text}</s>` : todo.text}</label>
  <button pw-click="remove" pw-value-id="${todo.id}" aria-label="Remove ${todo.text}">×</button>
</li>`,
  )}</ul>
<p id="count">${todos.length === 0 ? 'Nothing to do.' : `${left} of ${todos.length} left`}</p>`;
});

echo(layout('Todo', html`<h1>Todo</h1>${view}`));

// Data from the browser is untrusted: each field is checked before it is used.
function __serverSocketEvent(name: string, data: { text?: unknown; id?: unknown; value?: unknown }) {
  const todo = todos.find((t) => String(t.id) === data.id);
  if (name === 'add' && typeof data.text === 'string' && data.text.trim() !== '') {
    todos.push({ id: nextId++, text: data.text.trim().slice(0, 200), done: false });
  } else if (name === 'toggle' && todo) {
    todo.done = data.value === true;
  } else if (name === 'remove' && todo) {
    todos = todos.filter((t) => t !== todo);
  }
}
