// utf8Bytes counts what Buffer.byteLength counts (the response and `shared` size limits are in
// UTF-8 bytes, and the sandbox has no Buffer of the host's): ASCII, 2- and 3-byte characters,
// surrogate pairs, and lone surrogates (written as U+FFFD), in seeded random strings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8Bytes } from '../../runner/sandbox/utf8-bytes.js';
import { mulberry32, TEST_SEED } from '../helpers/random.js';

describe('utf8Bytes', () => {
  it('counts as Buffer.byteLength does', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud83d', '\ude00', '\ude00\ud83d', 'x\ud83dy']) {
      assert.equal(utf8Bytes(text), Buffer.byteLength(text), JSON.stringify(text));
    }
  });

  it(`counts random strings as Buffer.byteLength does (seed ${TEST_SEED})`, () => {
    const random = mulberry32(TEST_SEED);
    // Units from each range that matters: ASCII, 2 bytes, 3 bytes, high and low surrogates.
    const ranges = [
      [0, 0x80],
      [0x80, 0x800],
      [0x800, 0xd800],
      [0xd800, 0xdc00],
      [0xdc00, 0xe000],
      [0xe000, 0x10000],
    ] as const;
    for (let n = 0; n < 2000; n++) {
      let text = '';
      for (let i = Math.floor(random() * 12); i > 0; i--) {
        const [from, to] = ranges[Math.floor(random() * ranges.length)] as readonly [number, number];
        text += String.fromCharCode(from + Math.floor(random() * (to - from)));
      }
      assert.equal(utf8Bytes(text), Buffer.byteLength(text), `${JSON.stringify(text)} (seed ${TEST_SEED})`);
    }
  });
});
