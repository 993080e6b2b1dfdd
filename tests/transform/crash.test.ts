// Kill -9 the real CLI at random moments of encrypt, rekey and decrypt runs;
// after every kill each file must be in its old or its new form, and a re-run
// must finish the job. TK_CRASH_SEED=<n> replays a run.
import { spawn } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import path from 'path';
import { builtCli } from './build';
import { buildTree, checksums, inodeCount, linksIntact, listFiles, sha256 } from './tree';
import { decryptedContents, hasHeader, makeFixture, type Fixture } from './helpers';
import { seededRandom } from '../helpers/random';

let cli = '';
const seed = Number(process.env.TK_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS_PER_PHASE = 3;

let fx: Fixture;
beforeAll(async () => {
  cli = builtCli();
  fx = await makeFixture('tk-crash-');
  buildTree(fx.data, seed, 36, 160000);
}, 120000);
afterAll(() => fx.cleanup());

function cliArgs(mode: string): string[] {
  const key = mode === 'decrypt' ? [] : ['--key', 'k'];
  return [cli, 'transform', mode, fx.data, ...key, '--store', fx.storePath];
}

/**
 * Run the CLI; unless `killDelayMs` is null, SIGKILL it that long after its
 * first progress line (printed once the first file is done), so kills land
 * inside the transformation rather than during start-up.
 */
function runCli(mode: string, killDelayMs: number | null): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(mode), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      if (killDelayMs !== null && timer === null && d.toString().includes('progress:')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killDelayMs);
      }
    });
    // A run that hangs is a failure too: stop it rather than wait forever.
    const watchdog = setTimeout(() => {
      stdout += '\nWATCHDOG: no exit within 60 s\n';
      child.kill('SIGKILL');
    }, 240000);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(watchdog);
      resolve({ code, signal, stdout });
    });
  });
}

/** Each file is its original plaintext or an encrypted form of it; returns how many are encrypted. */
async function checkEveryFileWhole(original: Record<string, string>): Promise<number> {
  let encrypted = 0;
  const files = listFiles(fx.data).filter((f) => !path.basename(f).startsWith('.takakrypt-transform-'));
  expect(files).toEqual(Object.keys(original).sort());
  for (const rel of files) {
    const file = path.join(fx.data, rel);
    if (hasHeader(file)) {
      encrypted++;
      expect([rel, sha256(await decryptedContents(file, fx.store))]).toEqual([rel, original[rel]]);
    } else {
      expect([rel, sha256(readFileSync(file))]).toEqual([rel, original[rel]]);
    }
  }
  return encrypted;
}

function versionsInUse(): Set<number> {
  const out = new Set<number>();
  for (const rel of listFiles(fx.data)) out.add(readFileSync(path.join(fx.data, rel)).readUInt32LE(24));
  return out;
}

test(`kill -9 at random points never leaves a half-transformed file (seed ${seed})`, async () => {
  process.stdout.write(`crash test seed ${seed} (replay with TK_CRASH_SEED=${seed})\n`);
  const rand = seededRandom(seed);
  const original = checksums(fx.data);
  const total = Object.keys(original).length;
  const log: string[] = [];
  for (const mode of ['encrypt', 'rekey', 'decrypt']) {
    if (mode === 'rekey') await fx.store.rotateKey('k');
    for (let round = 0; round < KILLS_PER_PHASE; round++) {
      const delay = Math.floor(rand() * 150);
      const result = await runCli(mode, delay);
      const encrypted = await checkEveryFileWhole(original);
      const atV2 = [...listFiles(fx.data)].filter((f) => hasHeader(path.join(fx.data, f)) && readFileSync(path.join(fx.data, f)).readUInt32LE(24) === 2).length;
      expect(result.stdout).not.toContain('WATCHDOG');
      log.push(`${mode} killed ${delay} ms after its first file (${result.signal ?? `exit ${result.code}`}): ${encrypted}/${total} encrypted, ${atV2} under version 2`);
    }
    const finish = await runCli(mode, null);
    expect([mode, finish.code]).toEqual([mode, 0]);
    expect(finish.stdout).toMatch(new RegExp(`^${mode}\\b.*: transformed \\d+ of ${inodeCount(fx.data)} files .* 0 failed;`));
    expect(await checkEveryFileWhole(original)).toBe(mode === 'decrypt' ? 0 : total);
    expect([mode, linksIntact(fx.data)]).toEqual([mode, true]);
    if (mode !== 'decrypt') expect([...versionsInUse()]).toEqual([mode === 'encrypt' ? 1 : 2]);
  }
  process.stdout.write(log.join('\n') + '\n');
  expect(checksums(fx.data)).toEqual(original);
  expect(readdirSync(fx.data).filter((f) => f.startsWith('.takakrypt-transform-'))).toEqual([]);
}, 240000);
