import { SvdecodeError } from '@svdecode/core';
import { DEFAULT_ALPHA } from '@svdecode/kl-gradient';
import { checkSteeringMatches, readSteeringFile, type SteeringFile } from '@svdecode/strength';
import type { Provenance } from './models.js';

export interface SteeringFlags {
  steering?: string;
  mu?: number;
  /** false with --no-steer */
  steer?: boolean;
  alpha?: number;
}

/** The strength to decode with: --mu, else the steering file (checked against the models), else none. */
export async function resolveSteering(
  flags: SteeringFlags,
  provenance: Provenance,
): Promise<{ mu: number; alpha: number; source: string; decision?: SteeringFile['decision'] } | undefined> {
  if (flags.steer === false) {
    if (flags.steering !== undefined || flags.mu !== undefined)
      throw new SvdecodeError('BAD_ARGUMENT', '--no-steer cannot be combined with --steering or --mu');
    return undefined;
  }
  if (flags.steering !== undefined && flags.mu !== undefined)
    throw new SvdecodeError('BAD_ARGUMENT', 'give either --steering or --mu, not both');
  if (flags.mu !== undefined) return { mu: flags.mu, alpha: flags.alpha ?? DEFAULT_ALPHA, source: '--mu' };
  if (flags.steering === undefined) return undefined;
  const file = await readSteeringFile(flags.steering);
  checkSteeringMatches(file, flags.steering, provenance);
  return {
    mu: file.muBar,
    alpha: flags.alpha ?? file.alpha,
    source: flags.steering,
    decision: file.decision,
  };
}
