/**
 * At most `maxActive` generations run at once and at most `maxQueued` wait; beyond that a request
 * is refused (HTTP 429) instead of piling up. Waiters that give up (client gone) leave the queue.
 */
export class ConcurrencyGate {
  #active = 0;
  readonly #queue: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(
    readonly maxActive: number,
    readonly maxQueued: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** false when both the running slots and the queue are full. */
  canAdmit(): boolean {
    return this.#active < this.maxActive || this.#queue.length < this.maxQueued;
  }

  /** Waits for a slot; the returned function releases it (call exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.maxActive) {
      this.#active++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject };
      this.#queue.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.#queue.indexOf(entry);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            reject(new Error('aborted while queued'));
          }
        },
        { once: true },
      );
    });
    this.#active++;
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#queue.shift()?.resolve();
    };
  }
}
