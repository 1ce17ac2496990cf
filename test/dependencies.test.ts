import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

/** The packages each shipped source file imports at run time (`import type` is erased). */
function runtimeImports(): Array<{ file: string; name: string }> {
  const found: Array<{ file: string; name: string }> = [];
  for (const folder of ['lib', 'runner', 'protocol', 'client', 'testing']) {
    for (const entry of readdirSync(path.join(root, folder), { recursive: true })) {
      const file = path.join(folder, String(entry));
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(path.join(root, file), 'utf8');
      for (const match of source.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s+'([^'.][^']*)'/gm)) {
        const specifier = match[1] as string;
        if (specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : (specifier.split('/')[0] as string);
        found.push({ file, name });
      }
    }
  }
  return found;
}

describe('dependencies', () => {
  it('express is an optional peer dependency, and no shipped file imports it', () => {
    assert.equal(pkg.dependencies.express, undefined);
    assert.ok(pkg.peerDependencies?.express, 'express in peerDependencies');
    assert.equal(pkg.peerDependenciesMeta?.express?.optional, true);
    assert.ok(pkg.devDependencies.express, 'express in devDependencies, for the tests');
    const imports = runtimeImports();
    assert.ok(
      imports.some(({ name }) => name === 'ws'),
      'the scan sees imports',
    );
    assert.deepEqual(
      imports.filter(({ name }) => name === 'express'),
      [],
    );
  });

  it('every package a shipped file imports is a production dependency', () => {
    // The package itself (the test `pagewire init` writes imports 'pagewire/testing') needs no dependency.
    const missing = runtimeImports().filter(({ name }) => name !== pkg.name && pkg.dependencies[name] === undefined);
    assert.deepEqual(missing, []);
  });
});
