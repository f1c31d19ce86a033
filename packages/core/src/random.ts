/**
 * mulberry32: a small seeded generator of uniform numbers in [0, 1). The one seeded generator of
 * the packages that need reproducible streams (reservoir sampling and folds in strength, the
 * bootstrap in eval, data order and initialisation in peft, the data build in tiny); each keeps its
 * own way of turning a seed into the 32-bit state, so committed data and golden files stay as they are.
 */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
