#!/usr/bin/env node
// Placeholder main job until the CLI exists: lists the workspace's packages and versions.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
console.log('svdecode workspace');
for (const group of ['packages', 'apps', 'tooling']) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base).sort()) {
    const file = join(base, name, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const built = existsSync(join(base, name, 'dist')) ? 'built' : pkg.private ? 'private' : 'not built';
    console.log(
      `  ${pkg.name.padEnd(24)} ${pkg.version.padEnd(8)} ${built.padEnd(10)} ${pkg.description ?? ''}`,
    );
  }
}
