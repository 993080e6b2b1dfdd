// The `keys` command run as administrators run it: the built executable.
import { execFileSync, spawnSync } from 'child_process';
import { chmodSync, writeFileSync } from 'fs';
import path from 'path';
import { LocalKeyStore } from '../../src/keys/local-store';
import { builtCli } from '../transform/build';
import { tempDir } from './helpers';

let cli = '';

beforeAll(() => {
  cli = builtCli();
}, 120000);

let root: { dir: string; cleanup: () => void };
beforeEach(() => { root = tempDir('tk-keys-cli-'); });
afterEach(() => root.cleanup());

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Every way a 32-byte key could show up in text.
function encodings(material: Buffer): string[] {
  return [material.toString('hex'), material.toString('hex').toUpperCase(), material.toString('base64'), material.toString('base64url')];
}

test('create, rotate and list print names, versions and times, never material', async () => {
  const store = path.join(root.dir, 'ks');
  const outputs = [
    run(['keys', 'create', 'docs', '--store', store]),
    run(['keys', 'rotate', 'docs', '--store', store]),
    run(['keys', 'list', '--store', store]),
    run(['keys', 'list', '--store', store, '--json']),
  ];
  expect(outputs.map((o) => o.status)).toEqual([0, 0, 0, 0]);
  expect(outputs[0].stdout).toMatch(new RegExp(`^created key docs version 1 \\(AES-256, \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\) in ${store}\n$`));
  expect(outputs[1].stdout).toMatch(/^rotated key docs version 2 /);
  expect(outputs[2].stdout.split('\n')[0]).toBe('NAME  VERSION  ALGORITHM  CREATED');
  const listed = JSON.parse(outputs[3].stdout) as { name: string; version: number; algorithm: string }[];
  expect(listed.map((k) => [k.name, k.version, k.algorithm])).toEqual([['docs', 1, 'AES-256'], ['docs', 2, 'AES-256']]);

  const reader = await LocalKeyStore.open({ path: store });
  const all = [(await reader.getKey('docs', 1)).material, (await reader.getKey('docs', 2)).material];
  const text = outputs.map((o) => o.stdout + o.stderr).join('');
  for (const material of all) for (const form of encodings(material)) expect(text.includes(form)).toBe(false);
});

test('an insecure store fails with exit 1 and names the path and mode', () => {
  const store = path.join(root.dir, 'ks');
  expect(run(['keys', 'create', 'docs', '--store', store]).status).toBe(0);
  chmodSync(store, 0o755);
  const r = run(['keys', 'list', '--store', store]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`takakrypt-agent: key store directory ${store}: expected mode 0700 owned by uid 0, got mode 0755 owned by uid 0; refusing to use it\n`);
});

test('--config finds the store through key_store.path', () => {
  const store = path.join(root.dir, 'from-config');
  const config = path.join(root.dir, 'config.yaml');
  writeFileSync(config, `key_store:\n  path: ${store}\n`);
  expect(run(['keys', 'create', 'db', '--config', config]).status).toBe(0);
  expect(execFileSync(process.execPath, [cli, 'keys', 'list', '--store', store], { encoding: 'utf8' })).toMatch(/\ndb +1 +AES-256 /);
});

test('a passphrase file wraps new keys and is needed to rotate them', () => {
  const store = path.join(root.dir, 'ks');
  const pass = path.join(root.dir, 'pass');
  writeFileSync(pass, 'long passphrase\n', { mode: 0o600 });
  expect(run(['keys', 'create', 'w', '--store', store, '--passphrase-file', pass]).status).toBe(0);
  const without = run(['keys', 'rotate', 'w', '--store', store]);
  expect(without.status).toBe(1);
  expect(without.stderr).toContain('expected a passphrase (--passphrase-file or TAKAKRYPT_KEYSTORE_PASSPHRASE) for this wrapped key, got none');
  expect(run(['keys', 'rotate', 'w', '--store', store, '--passphrase-file', pass]).status).toBe(0);
  chmodSync(pass, 0o644);
  const unsafe = run(['keys', 'rotate', 'w', '--store', store, '--passphrase-file', pass]);
  expect(unsafe.stderr).toBe(`takakrypt-agent: passphrase file ${pass}: expected mode 0600 owned by uid 0, got mode 0644 owned by uid 0\n`);
});

test.each([
  [['keys', 'create', 'clear_key'], 'takakrypt-agent: key name "clear_key" is reserved: it means "not encrypted" in key rules\n'],
  [['keys', 'rotate', 'absent'], 'takakrypt-agent: key absent: expected a key file STORE/absent.key, got none\n'],
])('%j fails with a precise message', (args, message) => {
  const store = path.join(root.dir, 'ks');
  run(['keys', 'create', 'seed', '--store', store]);
  const r = run([...args, '--store', store]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(message.replace('STORE', store));
});
