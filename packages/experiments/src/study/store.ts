import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@svdecode/hf-io';
import type { BaseRecord } from './aggregate.js';
import type { StudyRunRecord } from './run.js';

/**
 * The study's resumable store: one JSON file per finished job, `<dir>/runs/<key>.json`, written
 * atomically (a killed process leaves no partial record). Every mode writes here, local or queued,
 * so the report reads one place.
 */
export class StudyStore {
  readonly runsDir: string;

  constructor(readonly dir: string) {
    this.runsDir = join(dir, 'runs');
  }

  /** The keys already stored. */
  async keys(): Promise<Set<string>> {
    await mkdir(this.runsDir, { recursive: true });
    const files = await readdir(this.runsDir);
    return new Set(files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)));
  }

  async put(key: string, record: unknown): Promise<void> {
    await writeFileAtomic(join(this.runsDir, `${key}.json`), `${JSON.stringify(record)}\n`);
  }

  /** Every stored record: the runs, and the base model's per task. */
  async read(): Promise<{ records: StudyRunRecord[]; bases: Record<string, BaseRecord> }> {
    const records: StudyRunRecord[] = [];
    const bases: Record<string, BaseRecord> = {};
    for (const key of [...(await this.keys())].sort()) {
      const record = JSON.parse(await readFile(join(this.runsDir, `${key}.json`), 'utf8'));
      if (key.startsWith('base.')) bases[record.task] = record;
      else records.push(record);
    }
    return { records, bases };
  }
}
