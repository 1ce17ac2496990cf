import type { TestContext } from 'node:test';

/**
 * The seed of this run's random choices: PAGEWIRE_TEST_SEED when set (to replay a run), else a
 * new one each run, so runs explore different choices and any one of them can be replayed.
 */
export const TEST_SEED = seedFromEnvironment(process.env.PAGEWIRE_TEST_SEED);

function seedFromEnvironment(text: string | undefined): number {
  if (text === undefined || text === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`PAGEWIRE_TEST_SEED must be an integer from 0 to ${2 ** 32 - 1}, got '${text}'`);
  }
  return seed;
}

/** mulberry32: a small, fast generator of numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Random integers in [0, n), from a seeded generator. */
export interface SeededRandom {
  readonly seed: number;
  int(n: number): number;
}

/**
 * Runs `body` with a generator seeded for this test (TEST_SEED and the test's name, so adding a
 * test does not change another's choices). The seed is always reported as a diagnostic, and a
 * failure's message says how to replay it.
 */
export async function withSeededRandom<T>(t: TestContext, body: (random: SeededRandom) => T | Promise<T>): Promise<T> {
  const seed = (TEST_SEED ^ hash(t.name)) >>> 0;
  const next = mulberry32(seed);
  const random: SeededRandom = { seed, int: (n) => Math.floor(next() * n) };
  const replay = `PAGEWIRE_TEST_SEED=${TEST_SEED} replays this run's random choices (test seed ${seed})`;
  t.diagnostic(replay);
  try {
    return await body(random);
  } catch (error) {
    if (error instanceof Error) error.message += `\n${replay}`;
    throw error;
  }
}

/** FNV-1a of a string: a stable number per test name. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
