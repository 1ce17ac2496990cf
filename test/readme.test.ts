import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { INIT_FILES } from '../lib/init.js';
import { sampleScripts, scriptsFolder } from './helpers/fixtures.js';

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

  it("its 'Testing your scripts' example passes under node --test, as a project runs it", async () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your scripts'));
    const example = /```js\n(\/\/ counter\.test\.mjs[\s\S]*?)```/.exec(section)?.[1];
    assert.ok(example, "no ```js block starting '// counter.test.mjs' in 'Testing your scripts'");
    // A project: its copy of the samples, and this repository installed as its `pagewire` package.
    const samples = sampleScripts();
    const project = scriptsFolder({ 'counter.test.mjs': example });
    try {
      symlinkSync(samples.dir, path.join(project.dir, 'sample-scripts'), 'dir');
      mkdirSync(path.join(project.dir, 'node_modules'));
      symlinkSync(root, path.join(project.dir, 'node_modules', 'pagewire'), 'dir');
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const child = spawn(process.execPath, ['--test', 'counter.test.mjs'], { cwd: project.dir, env });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, output);
      assert.match(output, /^# pass 2$/m);
    } finally {
      project.remove();
      samples.remove();
    }
  });
});
