import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { INIT_FILES } from '../lib/init.js';

const root = path.join(import.meta.dirname, '..');

describe('the README', () => {
  const exampleOf = (readme: string, file: string) =>
    new RegExp(`\`\`\`ts\n(// sample-scripts/${file.replace('.', '\\.')}[^\n]*\n[\\s\\S]*?)\`\`\``).exec(readme)?.[1];

  it('its first example is sample-scripts/counter.ts (attributes and page.view), as the file is', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const first = exampleOf(readme, 'counter.ts');
    assert.ok(first, "the README has no ```ts block that starts with '// sample-scripts/counter.ts'");
    assert.equal(readme.indexOf('```ts'), readme.indexOf(`\`\`\`ts\n${first}`), 'it is the first ts example');
    assert.equal(first, readFileSync(path.join(root, 'sample-scripts', 'counter.ts'), 'utf8'));
  });

  it('shows sample-scripts/hello.ts, the 2008 example, as the file is: the two never drift', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const hello = exampleOf(readme, 'hello.ts');
    assert.ok(hello, "the README has no ```ts block that starts with '// sample-scripts/hello.ts'");
    assert.equal(hello, readFileSync(path.join(root, 'sample-scripts', 'hello.ts'), 'utf8'));
  });

  it('shows the tsconfig.json that pagewire init writes, as it writes it', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it from another project'));
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    assert.equal(json, INIT_FILES['tsconfig.json']);
  });
});
