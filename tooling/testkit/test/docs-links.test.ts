import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every anchor of docs/method.md cited in the repository's sources and READMEs must name a heading
// of docs/method.md, and nothing may cite a document that is not in the repository.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|mts|mjs|js|md|py|html)$/.test(f) && !f.startsWith('fixtures/'));
const anchors = new Set(
  readFileSync(join(ROOT, 'docs', 'method.md'), 'utf8')
    .split('\n')
    .filter((l) => /^#{1,4} /.test(l))
    .map((l) => slug(l.replace(/^#+ /, ''))),
);

describe('references to the method document', () => {
  it('every anchor of docs/method.md cited in the repository exists', () => {
    const cited: string[] = [];
    for (const file of tracked) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/docs\/method\.md#([A-Za-z0-9-]+)/g)) {
        cited.push(m[1]!);
        expect(anchors.has(m[1]!), `${file} cites docs/method.md#${m[1]}`).toBe(true);
      }
    }
    expect(cited.length).toBeGreaterThan(10);
  });

  it('nothing cites a document outside the repository (the old METHOD.md, the shared folder)', () => {
    for (const file of tracked) {
      if (file === 'tooling/testkit/test/docs-links.test.ts') continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(/METHOD\.md|\bshared\/(docs|testdata|hooks)\//.test(text), file).toBe(false);
    }
  });
});
