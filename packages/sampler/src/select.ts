/**
 * Partial selection helpers shared by the truncation stages: O(V) average, no allocation (callers
 * pass scratch buffers), never a full sort of the vocabulary.
 */

const NEG_INF = Number.NEGATIVE_INFINITY;

/** Number of tokens still in play (logit above -Infinity). */
export function countAlive(logits: Float32Array): number {
  let n = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > NEG_INF) n++;
  return n;
}

/**
 * The k-th largest value (k >= 1) of `values`, by quickselect on `scratch` (same length or longer;
 * its contents are destroyed). Median-of-three pivots; falls back to sorting a small range.
 */
export function kthLargest(values: Float32Array, k: number, scratch: Float32Array): number {
  // small k: one pass with a k-sized min-heap (most values lose one comparison with its root)
  if (k <= SMALL_K) return kthLargestByHeap(values, k, scratch);
  const n = values.length;
  scratch.set(values);
  const a = scratch;
  let lo = 0;
  let hi = n - 1;
  const want = k - 1; // index in descending order
  while (hi > lo) {
    if (hi - lo < 16) {
      // insertion sort, descending
      for (let i = lo + 1; i <= hi; i++) {
        const x = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! < x) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = x;
      }
      return a[want]!;
    }
    const mid = (lo + hi) >>> 1;
    const pivot = median3(a[lo]!, a[mid]!, a[hi]!);
    // three-way partition (descending): [> pivot | == pivot | < pivot]
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const x = a[i]!;
      if (x > pivot) {
        a[i] = a[lt]!;
        a[lt] = x;
        lt++;
        i++;
      } else if (x < pivot) {
        a[i] = a[gt]!;
        a[gt] = x;
        gt--;
      } else {
        i++;
      }
    }
    if (want < lt) hi = lt - 1;
    else if (want > gt) lo = gt + 1;
    else return pivot;
  }
  return a[want]!;
}

const SMALL_K = 256;

function kthLargestByHeap(values: Float32Array, k: number, heap: Float32Array): number {
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (size < k) {
      // sift up
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heap[p]! <= v) break;
        heap[c] = heap[p]!;
        c = p;
      }
      heap[c] = v;
    } else if (v > heap[0]!) {
      // replace the root, sift down
      let r = 0;
      for (;;) {
        let c = 2 * r + 1;
        if (c >= k) break;
        if (c + 1 < k && heap[c + 1]! < heap[c]!) c++;
        if (heap[c]! >= v) break;
        heap[r] = heap[c]!;
        r = c;
      }
      heap[r] = v;
    }
  }
  return heap[0]!;
}

function median3(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/**
 * Keeps the k highest logits (ties at the boundary go to the lower token ids); the rest become
 * -Infinity. In place.
 */
export function keepTopK(logits: Float32Array, k: number, scratch: Float32Array): void {
  const alive = countAlive(logits);
  if (k >= alive) return;
  const threshold = kthLargest(logits, k, scratch);
  let above = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > threshold) above++;
  let ties = k - above;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > threshold) continue;
    if (v === threshold && ties > 0) {
      ties--;
      continue;
    }
    logits[i] = NEG_INF;
  }
}

/**
 * Writes into `ids` the `m` best token ids ordered by (logit desc, id asc) and returns how many
 * were written (fewer when fewer tokens are alive). `ids` must hold at least m entries.
 */
export function topIdsSorted(
  logits: Float32Array,
  m: number,
  ids: Uint32Array,
  scratch: Float32Array,
): number {
  const alive = countAlive(logits);
  const take = Math.min(m, alive);
  if (take === 0) return 0;
  const threshold = take === alive ? NEG_INF : kthLargest(logits, take, scratch);
  let above = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > threshold) above++;
  let ties = take - above;
  let n = 0;
  for (let i = 0; i < logits.length && n < take; i++) {
    const v = logits[i]!;
    if (v > threshold || (v === threshold && v > NEG_INF && ties-- > 0)) ids[n++] = i;
  }
  sortIds(ids, n, logits);
  return n;
}

/** "a comes before b": higher logit, or equal logit and lower id. */
function before(logits: Float32Array, a: number, b: number): boolean {
  const x = logits[a]!;
  const y = logits[b]!;
  return x > y || (x === y && a < b);
}

/** Sift-down for a heap whose root is the item that comes last in the final order. */
function siftDown(ids: Uint32Array, logits: Float32Array, start: number, end: number): void {
  let root = start;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && before(logits, ids[child]!, ids[child + 1]!)) child++;
    if (!before(logits, ids[root]!, ids[child]!)) return;
    const t = ids[root]!;
    ids[root] = ids[child]!;
    ids[child] = t;
    root = child;
  }
}

/** In-place heapsort of ids[0, n) by (logits desc, id asc): O(n log n), no allocation (no closures). */
function sortIds(ids: Uint32Array, n: number, logits: Float32Array): void {
  for (let s = (n >> 1) - 1; s >= 0; s--) siftDown(ids, logits, s, n);
  for (let end = n - 1; end > 0; end--) {
    const t = ids[0]!;
    ids[0] = ids[end]!;
    ids[end] = t;
    siftDown(ids, logits, 0, end);
  }
}

/** Largest logit (-Infinity when none is alive). */
export function maxLogit(logits: Float32Array): number {
  let max = NEG_INF;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  return max;
}

/** sum of exp(logit - max) over the alive logits; removed tokens cost a comparison, not an exp. */
export function sumExp(logits: Float32Array, max: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== NEG_INF) sum += Math.exp(v - max);
  }
  return sum;
}
