type NumericArray = Float64Array | Float32Array | Uint32Array;

/** An append-only typed array that doubles its capacity: amortised O(1) pushes, one buffer. */
export class Growable<T extends NumericArray> {
  #data: T;
  length = 0;

  constructor(
    private readonly create: (capacity: number) => T,
    capacity = 1024,
  ) {
    this.#data = create(capacity);
  }

  push(value: number): void {
    if (this.length === this.#data.length) {
      const next = this.create(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.length++] = value;
  }

  set(index: number, value: number): void {
    this.#data[index] = value;
  }

  /** The filled part, as a view (valid until the next push). */
  view(): T {
    return this.#data.subarray(0, this.length) as T;
  }

  get byteLength(): number {
    return this.#data.byteLength;
  }
}

export const float64s = (capacity?: number) => new Growable((n) => new Float64Array(n), capacity);
export const float32s = (capacity?: number) => new Growable((n) => new Float32Array(n), capacity);
export const uint32s = (capacity?: number) => new Growable((n) => new Uint32Array(n), capacity);
