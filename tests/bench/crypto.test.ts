// bench:crypto reads the OpenSSL ceiling from `openssl speed` output.
import { parseOpensslSpeed } from '../../src/bench/crypto';

const OPENSSL_3_OUTPUT = [
  'version: 3.0.19',
  'built on: Tue Jan 27 2026',
  'options: bn(64,64)',
  'CPUINFO: OPENSSL_ia32cap=0xfeda32035f8bffff:0x27a9',
  "The 'numbers' are in 1000s of bytes per second processed.",
  'type             16 bytes     64 bytes    256 bytes   1024 bytes   8192 bytes  16384 bytes',
  'AES-256-XTS     468180.48k  1760719.68k  3508359.42k  5135304.70k  5894586.37k  5950291.97k',
  '',
].join('\n');

describe('parseOpensslSpeed', () => {
  test.each([
    [16384, 5950.29197],
    [16, 468.18048],
    [1024, 5135.3047],
  ])('the %d-byte column in MB/s', (block, expected) => {
    expect(parseOpensslSpeed(OPENSSL_3_OUTPUT, block)).toBeCloseTo(expected, 4);
  });

  test.each([
    ['a block size not in the table', OPENSSL_3_OUTPUT, 4096],
    ['output without the AES-256-XTS row', OPENSSL_3_OUTPUT.replace(/^AES-256-XTS.*$/m, ''), 16384],
    ['output without the heading', OPENSSL_3_OUTPUT.replace(/^type.*$/m, ''), 16384],
  ])('%s gives undefined', (_what, output, block) => {
    expect(parseOpensslSpeed(output, block)).toBeUndefined();
  });
});
