#!/usr/bin/env node
// Proves every publishable package works on its own: packs each one with pnpm (which rewrites
// workspace: ranges), installs the tarballs with plain npm into an empty project outside the repo,
// then imports every package, checks its type declarations resolve, and checks that every bare
// import in its built files is a declared dependency (hoisting could otherwise hide a missing one).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeFailures, runExamples } from './examples.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootPkg.packageManager.split('@')[1];
const keep = process.argv.includes('--keep');

function run(cmd, args, cwd, extraEnv = {}) {
  return execFileSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
  });
}

function pnpm(args, cwd) {
  // Inside `pnpm run`, npm_execpath is pnpm itself; otherwise fetch the pinned version through npx.
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return run(process.execPath, [execPath, ...args], cwd);
  return run('npx', ['-y', `pnpm@${pnpmVersion}`, ...args], cwd);
}

function publishable() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const file = join(base, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (!pkg.private) out.push({ dir: join(base, name), pkg });
    }
  }
  return out;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'.][^"']*)["']/g;
const builtins = new Set(builtinModules);

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * What a package must not pull into a user's install: the backend-free packages and the ONNX side
 * install no TensorFlow.js (a user of ONNX Runtime should not download or load it).
 */
const MUST_NOT_PULL = {
  '@svdecode/core': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/hf-io': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/kl-gradient': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/strength': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/sampler': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/peft': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/backend-onnx': [/^@tensorflow\//],
  '@svdecode/onnx-export': [/^@tensorflow\//, /^onnxruntime/],
  '@svdecode/gguf-export': [/^@tensorflow\//, /^onnxruntime/, /^node-llama-cpp/],
  // node-llama-cpp is its peer: the user installs it (and chooses its GPU binaries) once
  '@svdecode/backend-llama-cpp': [/^@tensorflow\//, /^onnxruntime/, /^node-llama-cpp/, /^@node-llama-cpp\//],
};

/** Every package `name` installs (its dependency closure), resolved in the project's node_modules. */
function installedClosure(project, name) {
  const seen = new Set();
  const stack = [[name, join(project, 'node_modules')]];
  while (stack.length > 0) {
    const [dep, from] = stack.pop();
    // npm nests a conflicting version under the dependent; otherwise it is hoisted to the top
    const dir = [join(from, dep), join(project, 'node_modules', dep)].find((d) =>
      existsSync(join(d, 'package.json')),
    );
    if (!dir || seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const optionalPeers = manifest.peerDependenciesMeta ?? {};
    const deps = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((p) => !optionalPeers[p]?.optional),
    ];
    for (const d of deps) stack.push([d, join(dir, 'node_modules')]);
  }
  return [...seen].map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name);
}

const failures = [...readmeFailures(root)];
const work = mkdtempSync(join(tmpdir(), 'svdecode-pack-check-'));
try {
  const packages = publishable();
  const tarballs = [];
  for (const { dir, pkg } of packages) {
    const out = pnpm(['pack', '--pack-destination', work], dir).trim().split('\n').pop();
    tarballs.push(out.startsWith('/') ? out : join(work, out));
    console.log(`packed ${pkg.name}@${pkg.version}`);
  }

  const project = join(work, 'project');
  run('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'svdecode-pack-check', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], project, {
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  });

  // the check of what packages pull in must itself be able to fail: tfjs's own backend pulls tfjs
  if (!installedClosure(project, '@svdecode/backend-tfjs').includes('@tensorflow/tfjs-core'))
    failures.push('installedClosure is broken: @svdecode/backend-tfjs should pull @tensorflow/tfjs-core');
  for (const [name, banned] of Object.entries(MUST_NOT_PULL)) {
    const pulled = installedClosure(project, name).filter((dep) => banned.some((b) => b.test(dep)));
    if (pulled.length > 0) failures.push(`${name} pulls in ${pulled.join(', ')}, which it must not`);
    else console.log(`${name}: installs none of ${banned.map(String).join(', ')}`);
  }

  const imports = [];
  for (const { pkg } of packages) {
    const installed = join(project, 'node_modules', pkg.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    if (JSON.stringify(manifest).includes('workspace:'))
      failures.push(`${pkg.name}: a workspace: range survived packing`);
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      for (const field of ['types', 'import']) {
        if (!target[field] || !existsSync(join(installed, target[field]))) {
          failures.push(`${pkg.name}: exports["${subpath}"].${field} is missing (${target[field]})`);
        }
      }
    }
    const declared = new Set([
      pkg.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    for (const file of walk(join(installed, 'dist'))) {
      if (!file.endsWith('.js')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
        const spec = match[1];
        if (spec.startsWith('node:') || builtins.has(spec) || builtins.has(packageNameOf(spec))) continue;
        if (!declared.has(packageNameOf(spec))) {
          failures.push(
            `${pkg.name}: ${relative(installed, file)} imports "${spec}", which package.json does not declare`,
          );
        }
      }
    }
    imports.push(pkg.name);
  }

  // Runtime: each entry point imports in plain Node from the installed tarballs.
  const check = imports.map(
    (name, i) =>
      `import * as m${i} from '${name}';\nif (Object.keys(m${i}).length === 0) throw new Error('${name} exports nothing');`,
  );
  writeFileSync(
    join(project, 'check.mjs'),
    `${check.join('\n')}\nconsole.log('imported ${imports.length} packages');\n`,
  );
  try {
    console.log(run(process.execPath, ['check.mjs'], project).trim());
  } catch (error) {
    failures.push(`import failed:\n${error.stderr || error.message}`);
  }

  // Types: the declarations resolve for a strict NodeNext consumer.
  writeFileSync(
    join(project, 'check.ts'),
    imports
      .map(
        (name, i) => `import * as t${i} from '${name}';\nexport const k${i}: string[] = Object.keys(t${i});`,
      )
      .join('\n'),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    const compilerOptions = {
      noEmit: true,
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      types: [],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }));
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    console.log(`type declarations resolve for ${imports.length} packages`);
  } catch (error) {
    failures.push(`type check failed:\n${error.stdout || ''}${error.stderr || error.message}`);
  }

  // The README examples run as written against the installed tarballs (examples.mjs). The llama.cpp
  // one needs the backend's optional peer, installed as a user would: CPU binaries only, no scripts.
  const llamaPeer = JSON.parse(
    readFileSync(join(root, 'packages', 'backend-llama-cpp', 'package.json'), 'utf8'),
  ).peerDependencies['node-llama-cpp'];
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--no-save',
      '--ignore-scripts',
      '--omit=optional',
      `node-llama-cpp@${llamaPeer}`,
      `@node-llama-cpp/${process.platform}-${process.arch}@${llamaPeer}`,
    ],
    project,
  );
  failures.push(...runExamples(root, project, (cmd, args, cwd) => run(cmd, args, cwd), tsc));
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

if (failures.length > 0) {
  console.error(`pack check failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('pack check passed: every package installs, imports and type-checks on its own');
