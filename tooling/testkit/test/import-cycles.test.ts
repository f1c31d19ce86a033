import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// No import cycles, between modules of a package or between packages: a cycle makes load order
// matter and usually means two files share one job.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files', 'packages', 'apps'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\/src\/.*\.ts$/.test(f) && !f.endsWith('.d.ts'));

/** Depth-first search; returns one cycle as a list of nodes, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

describe('import cycles', () => {
  it('finds one in a graph that has one (the checker works)', () => {
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeUndefined();
  });

  it('no module imports itself back through relative imports', () => {
    const graph = new Map<string, string[]>();
    for (const file of tracked) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const targets = [...text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)\.js'/g)].map((m) =>
        normalize(join(dirname(file), `${m[1]}.ts`)),
      );
      graph.set(
        file,
        targets.filter((t) => tracked.includes(t)),
      );
    }
    expect(graph.size).toBeGreaterThan(100);
    expect(findCycle(graph)).toBeUndefined();
  });

  it('no package depends on itself through its dependencies', () => {
    const manifests = execFileSync('git', ['ls-files', '*/package.json'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /^(packages|apps|tooling)\/[^/]+\/package\.json$/.test(f))
      .map((f) => JSON.parse(readFileSync(join(ROOT, f), 'utf8')) as Manifest);
    const graph = new Map<string, string[]>();
    for (const m of manifests) {
      const deps = { ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies };
      graph.set(
        m.name,
        Object.keys(deps).filter((d) => d.startsWith('@svdecode/')),
      );
    }
    expect(findCycle(graph)).toBeUndefined();
  });
});
