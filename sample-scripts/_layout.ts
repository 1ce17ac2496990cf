/** The samples' shared page frame: a partial (private: its name starts with `_`). */
export function layout(title: string, body: unknown) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Pagewire</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  a { color: #0a58ca; } code { background: #f3f3f3; padding: 0 .2em; }
  button, input[type=button] { font: inherit; padding: .3em .9em; }
</style>
</head>
<body>
<p><a href="./">Pagewire samples</a></p>
${body}
</body>
</html>`;
}
