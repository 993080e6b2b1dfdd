// bench:crypto — throughput of the format API for runs of data units, beside
// the OpenSSL ceiling (`openssl speed -evp aes-256-xts`, 16384-byte column)
// measured on the same machine. Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createFileCipher, DATA_UNIT_SIZE, FileCipher } from '../crypto';
import { xtsBackend } from '../crypto/xts-run';
import { measureCryptPath } from './crypt-path';

const SECONDS = Number(process.env.TAKAKRYPT_BENCH_SECONDS ?? 1.5);
const RUNS = [4 * 1024, 64 * 1024, 1024 * 1024];
const TARGET = 0.5;

/**
 * One measured case in MB/s (10^6 bytes per second): per second of CPU time
 * of this process (what `openssl speed` divides by, so the ratio is fair on
 * a loaded machine) and per second of wall time.
 */
interface Result {
  label: string;
  runBytes: number;
  mbPerSecond: number;
  mbPerWallSecond: number;
}

/** MB/s of `openssl speed -evp aes-256-xts` at 16384-byte blocks, or undefined when unavailable. */
export function opensslCeiling(seconds: number): number | undefined {
  let output: string;
  try {
    output = execFileSync('openssl', ['speed', '-evp', 'aes-256-xts', '-seconds', String(Math.max(1, Math.round(seconds)))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  return parseOpensslSpeed(output, 16384);
}

/** Parse the table of `openssl speed` (values in 1000s of bytes per second) for one block size, in MB/s. */
export function parseOpensslSpeed(output: string, blockBytes: number): number | undefined {
  const lines = output.split('\n');
  const heading = lines.find((line) => /^type\s/.test(line));
  const row = lines.find((line) => /^AES-256-XTS\s/i.test(line));
  if (heading === undefined || row === undefined) return undefined;
  const sizes = [...heading.matchAll(/(\d+) bytes/g)].map((m) => Number(m[1]));
  const values = [...row.matchAll(/([\d.]+)k/g)].map((m) => Number(m[1]));
  const column = sizes.indexOf(blockBytes);
  return column < 0 || values[column] === undefined ? undefined : (values[column] * 1000) / 1e6;
}

function measure(label: string, runBytes: number, work: (unit: number) => void): Result {
  const unitsPerRun = Math.ceil(runBytes / DATA_UNIT_SIZE);
  for (let i = 0; i < 20; i++) work(i * unitsPerRun);
  let bytes = 0;
  let unit = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < stop) {
    work(unit);
    unit += unitsPerRun;
    bytes += runBytes;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { label, runBytes, mbPerSecond: bytes / cpuSeconds / 1e6, mbPerWallSecond: bytes / (Number(now - start) / 1e9) / 1e6 };
}

function measureCipher(cipher: FileCipher): Result[] {
  const results: Result[] = [];
  for (const runBytes of RUNS) {
    const plaintext = randomBytes(runBytes);
    const ciphertext = cipher.encryptUnits(0, plaintext);
    const out = Buffer.allocUnsafe(runBytes);
    results.push(measure('encrypt', runBytes, (u) => cipher.encryptUnits(u, plaintext, out)));
    // Decrypting the same units again costs the same as decrypting new ones.
    results.push(measure('decrypt', runBytes, () => cipher.decryptUnits(0, ciphertext, out)));
  }
  const holes = Buffer.alloc(1024 * 1024);
  const out = Buffer.allocUnsafe(holes.length);
  results.push(measure('decrypt holes', holes.length, (u) => cipher.decryptUnits(u, holes, out)));
  return results;
}

async function main(): Promise<void> {
  const material = randomBytes(32);
  const { cipher } = createFileCipher({ name: 'bench', version: 1, material });
  material.fill(0);
  // OpenSSL before and after, so a change in machine load shows up.
  const before = opensslCeiling(SECONDS);
  const results = measureCipher(cipher);
  const after = opensslCeiling(SECONDS);
  cipher.dispose();
  const ceilings = [before, after].filter((v): v is number => v !== undefined);
  const ceiling = ceilings.length > 0 ? ceilings.reduce((a, b) => a + b) / ceilings.length : undefined;

  const rows = results.map((r) => {
    const ratio = ceiling ? `${((100 * r.mbPerSecond) / ceiling).toFixed(1)}%` : 'n/a';
    return `${r.label.padEnd(14)} ${`${r.runBytes / 1024} KiB`.padStart(9)} ${r.mbPerSecond.toFixed(0).padStart(8)} MB/s ${ratio.padStart(7)} ${r.mbPerWallSecond.toFixed(0).padStart(8)} MB/s`;
  });
  process.stdout.write([
    `format v1 (AES-256-XTS, ${DATA_UNIT_SIZE}-byte units) through src/crypto (XTS runs: ${xtsBackend()}), node ${process.version}`,
    ceiling
      ? `ceiling: openssl speed -evp aes-256-xts, 16384-byte blocks: ${ceiling.toFixed(0)} MB/s (before ${before?.toFixed(0)}, after ${after?.toFixed(0)})`
      : 'ceiling: openssl speed unavailable',
    'operation           run   per CPU s   of ceiling  per wall s',
    ...rows,
    ...(ceiling ? [targetLine(results, ceiling)] : []),
  ].join('\n') + '\n');
  const path = await measureCryptPath(SECONDS);
  process.stdout.write(
    `handler round trip of a 30-unit ENCRYPT through the codec (${path.runBytes / 1024} KiB): ` +
    `${path.mbPerSecond.toFixed(0)} MB/s per CPU s, ${path.mbPerWallSecond.toFixed(0)} MB/s per wall s\n`,
  );
}

function targetLine(results: Result[], ceiling: number): string {
  const big = results.filter((r) => r.runBytes === 1024 * 1024 && !r.label.includes('holes'));
  const worst = Math.min(...big.map((r) => r.mbPerSecond / ceiling));
  return `1 MiB runs: worst ${(100 * worst).toFixed(1)}% of the ceiling (target ${100 * TARGET}%): ${worst >= TARGET ? 'met' : 'not met'}`;
}

if (require.main === module) void main();
