import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

  /** Runs `file`'s block of 'Testing your scripts' under node --test, in a project as a user's: its output. */
  async function runExample(file: string, files: Record<string, Uint8Array> = {}): Promise<string> {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your scripts'));
    const example = new RegExp(`\`\`\`js\n(// ${file.replaceAll('.', '\\.')}[\\s\\S]*?)\`\`\``).exec(section)?.[1];
    assert.ok(example, `no \`\`\`js block starting '// ${file}' in 'Testing your scripts'`);
    // A project: its copy of the samples, and this repository installed as its `pagewire` package.
    const samples = sampleScripts();
    const project = scriptsFolder({ [file]: example });
    try {
      for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(project.dir, name), bytes);
      symlinkSync(samples.dir, path.join(project.dir, 'sample-scripts'), 'dir');
      mkdirSync(path.join(project.dir, 'node_modules'));
      symlinkSync(root, path.join(project.dir, 'node_modules', 'pagewire'), 'dir');
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const child = spawn(process.execPath, ['--test', file], { cwd: project.dir, env });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, output);
      return output;
    } finally {
      project.remove();
      samples.remove();
    }
  }

  it("its 'Testing your scripts' example passes under node --test, as a project runs it", async () => {
    assert.match(await runExample('counter.test.mjs'), /^# pass 2$/m);
  });

  it('its upload example (page.upload of photos.ts) passes under node --test, as a project runs it', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(2000, 7)]);
    assert.match(await runExample('photos.test.mjs', { 'cat.png': png }), /^# pass 1$/m);
  });
});
