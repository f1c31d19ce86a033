// The README examples as files (examples/): each starts with `// shown in: <README>`, and that README
// shows the rest of the file verbatim. check-packs runs them against the packed tarballs installed
// with plain npm into an empty project (TypeScript ones type-checked in strict mode first), so an
// example that does not run as written fails CI.
import {
  copyFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const HEADER = /^\/\/ shown in: (\S+)\n/;

/** The examples and where each is shown. */
export function examples(root) {
  const dir = join(root, 'examples');
  return readdirSync(dir)
    .filter((f) => /\.(mjs|mts)$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const shownIn = HEADER.exec(text)?.[1];
      return { file, path: join(dir, file), shownIn, body: text.replace(HEADER, '').trim() };
    });
}

const MARKER = (file) => `<!-- example: examples/${file} `;

/**
 * `node tooling/scripts/examples.mjs --write`: puts each example's body into the code block after its
 * marker (`<!-- example: examples/<file> ... -->`) in the README it names, after an edit of the file.
 */
export function syncReadmes(root) {
  for (const { file, shownIn, body } of examples(root)) {
    if (!shownIn) continue;
    const path = join(root, shownIn);
    const text = readFileSync(path, 'utf8');
    const at = text.indexOf(MARKER(file));
    if (at < 0) continue; // readmeFailures reports it
    const open = text.indexOf('```', at);
    const bodyStart = text.indexOf('\n', open) + 1;
    // from the opening line's newline: an empty block's closing fence is found, not the next block's
    const close = text.indexOf('\n```', bodyStart - 1);
    writeFileSync(path, `${text.slice(0, bodyStart)}${body}${text.slice(close)}`);
  }
}

/** Examples without a README that shows them verbatim. */
export function readmeFailures(root) {
  const failures = [];
  for (const { file, shownIn, body } of examples(root)) {
    if (!shownIn) failures.push(`examples/${file}: no "// shown in: <README>" first line`);
    else if (!readFileSync(join(root, shownIn), 'utf8').includes(MARKER(file)))
      failures.push(
        `examples/${file}: ${shownIn} has no "<!-- example: examples/${file} -->" marker before its block`,
      );
    else if (!readFileSync(join(root, shownIn), 'utf8').includes(body))
      failures.push(
        `examples/${file}: ${shownIn} does not show it verbatim (node tooling/scripts/examples.mjs --write)`,
      );
  }
  return failures;
}

/**
 * Copies the examples into `project`, compiles the TypeScript ones (strict, NodeNext), runs each in
 * Node; returns what failed. `run(cmd, args, cwd)` throws on a non-zero exit.
 */
export function runExamples(root, project, run, tsc) {
  const failures = [];
  const all = examples(root);
  for (const { file, path } of all) copyFileSync(path, join(project, file));
  const typescript = all.filter((e) => e.file.endsWith('.mts')).map((e) => e.file);
  if (typescript.length > 0) {
    // a TypeScript user on Node has @types/node: the workspace's copy (and what it needs), no download
    const types = realpathSync(join(root, 'node_modules', '@types', 'node'));
    cpSync(types, join(project, 'node_modules', '@types', 'node'), { recursive: true });
    // pnpm puts a package's dependencies beside it: @types/node's undici-types (unless npm installed it)
    if (!existsSync(join(project, 'node_modules', 'undici-types'))) {
      const undici = realpathSync(join(types, '..', '..', 'undici-types'));
      cpSync(undici, join(project, 'node_modules', 'undici-types'), { recursive: true });
    }
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      types: ['node'],
      outDir: '.',
    };
    writeFileSync(
      join(project, 'tsconfig.examples.json'),
      JSON.stringify({ compilerOptions, files: typescript }),
    );
    try {
      run(process.execPath, [tsc, '-p', 'tsconfig.examples.json'], project);
    } catch (error) {
      failures.push(`examples do not type-check:\n${error.stdout || ''}${error.stderr || error.message}`);
      return failures;
    }
  }
  for (const { file } of all) {
    const script = file.replace(/\.mts$/, '.mjs');
    const started = Date.now();
    try {
      const out = run(process.execPath, [script], project).trim();
      console.log(
        `example ${file} ran (${((Date.now() - started) / 1000).toFixed(1)} s): ${out.split('\n').at(-1)}`,
      );
    } catch (error) {
      failures.push(`example ${file} failed:\n${error.stderr || error.message}`);
    }
  }
  return failures;
}

if (
  process.argv[1] &&
  import.meta.url === new URL(`file://${process.argv[1]}`).href &&
  process.argv.includes('--write')
) {
  const root = new URL('../../', import.meta.url).pathname;
  syncReadmes(root);
  const left = readmeFailures(root);
  console.log(left.length === 0 ? 'every README shows its examples verbatim' : left.join('\n'));
}
