// GET /login: a plain page (no hook, nothing live). The form posts to server.ts's passport route.
echo(html`<!doctype html>
<title>Sign in</title>
<h1>Sign in</h1>
${request.query.failed !== undefined ? html`<p>Wrong name or password.</p>` : ''}
<form method="post" action="/login">
  <label>Name <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button>Sign in</button>
</form>
<p>Try alice / alice, or bob / bob.</p>`);
