import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REFUSED, RouteTable } from '../lib/http/routes.js';
import { scriptsFolder } from './helpers/fixtures.js';

describe('RouteTable', () => {
  const folder = scriptsFolder({
    'index.ts': '',
    'hello.ts': '',
    'about/index.ts': '',
    'a/b.ts': '',
    'blog/[slug].ts': '',
    'blog/index.ts': '',
    'blog/latest.ts': '',
    'users/[id]/edit.ts': '',
    '_layout.ts': '',
    '_private/secret.ts': '',
    '.env': 'SECRET=1',
    'style.css': 'body{}',
    'app.js': '',
    'helper.mjs': '',
    'helper.cjs': '',
    'img/logo.svg': '<svg/>',
    'types.d.ts': '',
    'tsconfig.json': '{}',
    '%2e%2e/odd.ts': '',
  });
  let routes: RouteTable;
  before(() => {
    routes = new RouteTable(folder.dir);
  });
  after(() => folder.remove());

  const script = (path: string) => {
    const route = routes.resolve(path);
    return route !== REFUSED && route?.kind === 'script' ? route : undefined;
  };

  it('serves index.ts for a folder, with or without a trailing slash', () => {
    assert.equal(script('/')?.script, 'index.ts');
    assert.equal(script('/about')?.script, 'about/index.ts');
    assert.equal(script('/about/')?.script, 'about/index.ts');
  });

  it('maps a/b.ts to /a/b', () => {
    assert.equal(script('/hello')?.script, 'hello.ts');
    assert.equal(script('/a/b')?.script, 'a/b.ts');
  });

  it('fills [param] segments, preferring a static match', () => {
    assert.deepEqual(script('/blog/first-post'), {
      kind: 'script',
      script: 'blog/[slug].ts',
      params: { slug: 'first-post' },
    });
    assert.deepEqual(script('/blog/latest')?.params, {});
    assert.deepEqual(script('/blog/caf%C3%A9'), { kind: 'script', script: 'blog/[slug].ts', params: { slug: 'café' } });
    assert.deepEqual(script('/users/42/edit'), { kind: 'script', script: 'users/[id]/edit.ts', params: { id: '42' } });
  });

  it('serves other files as static assets', () => {
    assert.deepEqual(routes.resolve('/style.css'), { kind: 'static', file: 'style.css' });
    assert.deepEqual(routes.resolve('/img/logo.svg'), { kind: 'static', file: 'img/logo.svg' });
    assert.deepEqual(routes.resolve('/app.js'), { kind: 'static', file: 'app.js' });
  });

  it('never serves .mjs or .cjs files: server-side JavaScript (partials)', () => {
    for (const path of ['/helper.mjs', '/helper.cjs']) assert.equal(routes.resolve(path), undefined, path);
  });

  it('never serves script sources, declarations or tsconfig.json', () => {
    for (const path of ['/hello.ts', '/index.ts', '/a/b.ts', '/types.d.ts', '/tsconfig.json', '/about/index.ts']) {
      assert.equal(routes.resolve(path), undefined, path);
    }
    // Under a [param] route the name is only a parameter value: the script runs, its source is not sent.
    assert.deepEqual(routes.resolve('/blog/[slug].ts'), {
      kind: 'script',
      script: 'blog/[slug].ts',
      params: { slug: '[slug].ts' },
    });
  });

  it('refuses private names: _partials and dotfiles', () => {
    for (const path of ['/_layout', '/_layout.ts', '/_private/secret', '/.env', '/img/.hidden']) {
      assert.equal(routes.resolve(path), REFUSED, path);
    }
  });

  it('refuses every traversal attempt', () => {
    const attempts = [
      '/../etc/passwd',
      '/a/../../etc/passwd',
      '/%2e%2e/etc/passwd',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/a/%2e%2e/hello',
      '/..%2fetc%2fpasswd',
      '/%2e%2e%2fetc%2fpasswd',
      '/..%5cetc%5cpasswd',
      '/a\\..\\..\\etc\\passwd',
      '/hello%00.ts',
      '/hello%00',
      '/%c0%ae%c0%ae/etc/passwd',
      '/%',
      '/a//b',
    ];
    for (const path of attempts) assert.equal(routes.resolve(path), REFUSED, path);
  });

  it('decodes once: double encoding is a literal name, never a parent folder', () => {
    // `%252e%252e` decodes to the literal folder name `%2e%2e`, which exists in this fixture.
    assert.equal(script('/%252e%252e/odd')?.script, '%2e%2e/odd.ts');
    assert.equal(routes.resolve('/%252e%252e/%252e%252e/etc/passwd'), undefined);
  });

  it('returns undefined when nothing matches', () => {
    assert.equal(routes.resolve('/missing'), undefined);
    assert.equal(routes.resolve('/a/b/c'), undefined);
    assert.equal(routes.resolve('/hello/'), undefined);
  });

  it('sees new files after refresh()', () => {
    folder.write('later.ts', '');
    assert.equal(routes.resolve('/later'), undefined);
    routes.refresh();
    assert.equal(script('/later')?.script, 'later.ts');
  });
});
