import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let cached: number | undefined;

/**
 * Intra-op threads when the caller names none: the physical cores Linux reports (distinct
 * package/core pairs under /sys), else the logical CPU count. onnxruntime's own default detects
 * physical cores through CPUID, which some VMs under-report: on the 2-core EPYC VM of our bench it
 * ran one thread, 0.7x the tokens/s of two (see the README's benchmark).
 */
export function defaultThreads(): number {
  if (cached !== undefined) return cached;
  const cores = new Set<string>();
  try {
    const root = '/sys/devices/system/cpu';
    for (const cpu of readdirSync(root)) {
      if (!/^cpu\d+$/.test(cpu)) continue;
      const read = (f: string) => readFileSync(`${root}/${cpu}/topology/${f}`, 'utf8').trim();
      cores.add(`${read('physical_package_id')}:${read('core_id')}`);
    }
  } catch {
    cores.clear(); // not Linux, or no topology: the logical count below
  }
  cached = cores.size > 0 ? Math.min(cores.size, availableParallelism()) : availableParallelism();
  return cached;
}
