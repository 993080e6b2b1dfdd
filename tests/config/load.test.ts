// The normalised Config: defaults, path normalisation, positions; loading
// from files, and every example in configs/.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import winston from 'winston';
import { join } from 'node:path';
import { AGENT_DEFAULTS, KEY_STORE_DEFAULTS } from '../../src/config/defaults';
import { checkConfigFile, checkConfigText, loadConfig, MAX_CONFIG_BYTES } from '../../src/config/load';
import type { TakakryptError } from '../../src/errors';
import { compileNamePattern, matchName } from '../../src/policy/glob';
import { check, FILE, MINIMAL, yaml } from './helpers';

function config(text: string) {
  const { result, problems } = check(text);
  expect(problems).toEqual([]);
  if (result.config === null) throw new Error('expected a configuration');
  return result.config;
}

describe('defaults and normalisation', () => {
  test('every default is filled in', () => {
    const c = config(MINIMAL);
    expect(c.file).toBe(FILE);
    expect(c.agent).toEqual({
      logFile: null, logLevel: 'info', auditFile: '/var/log/takakrypt/audit.log', auditSyslog: false,
      decisionCacheTtl: 30, kernelTimeout: 5, pidFile: '/run/takakrypt-agent.pid',
    });
    expect(c.agent).toEqual(AGENT_DEFAULTS);
    expect(c.keyStore).toEqual(KEY_STORE_DEFAULTS);
    expect([c.userSets, c.processSets, c.resourceSets]).toEqual([[], [], []]);
    expect(c.policies).toEqual([{
      name: 'p', learnMode: false, keyRules: [], position: { file: FILE, line: 2, column: 5 },
      securityRules: [{
        index: 0, resourceSet: null, userSet: null, processSet: null,
        excludeResourceSet: false, excludeUserSet: false, excludeProcessSet: false,
        actions: ['all_ops'], effects: ['deny', 'audit'], browsing: false,
        position: { file: FILE, line: 4, column: 9 },
      }],
    }]);
    expect(c.guardPoints).toEqual([{ path: '/srv/g', policy: 'p', mode: 'auto', position: { file: FILE, line: 7, column: 5 } }]);
  });

  test('agent settings given are kept, paths normalised', () => {
    const c = config(yaml`
      agent:
        log_file: /var/log//takakrypt/agent.log
        log_level: debug
        audit_file: /var/log/takakrypt/./audit.log
        audit_syslog: true
        decision_cache_ttl: 0
        kernel_timeout: 0.5
        pid_file: /run/takakrypt/agent.pid
      key_store: { path: /srv/keys/ }
    ` + MINIMAL);
    expect(c.agent).toEqual({
      logFile: '/var/log/takakrypt/agent.log', logLevel: 'debug', auditFile: '/var/log/takakrypt/audit.log',
      auditSyslog: true, decisionCacheTtl: 0, kernelTimeout: 0.5, pidFile: '/run/takakrypt/agent.pid',
    });
    expect(c.keyStore.path).toBe('/srv/keys');
  });

  test('sets: entries split, escaped, defaulted and normalised', () => {
    const c = config(yaml`
      user_sets:
        - name: u
          groups: [staff]
      process_sets:
        - name: e
          processes:
            - path: /usr//bin/nano
            - path: "/opt/odd/a[1]*?"
            - directory: /usr/bin/
              file: "vim.*"
              sha256: ${'AB'.repeat(32)}
      resource_sets:
        - name: r
          resources:
            - file: "*.txt"
            - directory: reports/2024/
              subfolders: false
            - directory: ./a/./b
    ` + MINIMAL);
    expect(c.userSets.map(({ position: _p, ...rest }) => rest)).toEqual([{ name: 'u', users: [], uids: [], groups: ['staff'], gids: [] }]);
    expect(c.processSets[0].processes.map(({ position: _p, ...rest }) => rest)).toEqual([
      { directory: '/usr/bin', file: 'nano', sha256: null },
      { directory: '/opt/odd', file: 'a\\[1]\\*\\?', sha256: null },
      { directory: '/usr/bin', file: 'vim.*', sha256: 'ab'.repeat(32) },
    ]);
    // The policy engine's matcher reads the escaped name as that one name only.
    const exact = compileNamePattern(c.processSets[0].processes[1].file);
    expect(['a[1]*?', 'a1xy', 'a[1]x?'].map((name) => matchName(exact, name))).toEqual([true, false, false]);
    expect(c.resourceSets[0].resources.map(({ position: _p, ...rest }) => rest)).toEqual([
      { directory: '/', file: '*.txt', subfolders: true },
      { directory: '/reports/2024', file: '*', subfolders: false },
      { directory: '/a/b', file: '*', subfolders: true },
    ]);
  });

  test('anchors and aliases share values', () => {
    const c = config(yaml`
      user_sets:
        - name: a
          users: &team [alice, bob]
        - name: b
          users: *team
    ` + MINIMAL);
    expect(c.userSets.map((set) => set.users)).toEqual([['alice', 'bob'], ['alice', 'bob']]);
  });

  test('rules: comma strings and lists, duplicates dropped, excludes and browsing kept', () => {
    const c = config(yaml`
      user_sets: [{ name: u, uids: [1] }]
      policies:
        - name: p
          learn_mode: true
          security_rules:
            - user_set: u
              exclude_user_set: true
              action: [read, f_wr, read]
              effect: " permit , audit,permit"
              browsing: true
          key_rules:
            - key: k1
      guard_points:
        - { path: /srv/g/, policy: p, mode: manual }
    `);
    const [rule] = c.policies[0].securityRules;
    expect(c.policies[0].learnMode).toBe(true);
    expect([rule.userSet, rule.excludeUserSet, rule.browsing]).toEqual(['u', true, true]);
    expect(rule.actions).toEqual(['read', 'f_wr']);
    expect(rule.effects).toEqual(['permit', 'audit']);
    expect(c.policies[0].keyRules.map(({ position: _p, ...rest }) => rest)).toEqual([{ index: 0, resourceSet: null, key: 'k1' }]);
    expect(c.guardPoints.map((gp) => [gp.path, gp.mode])).toEqual([['/srv/g', 'manual']]);
  });
});

describe('loading files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'takakrypt-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('loadConfig returns the normalised Config', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, MINIMAL);
    expect(loadConfig(file).guardPoints.map((gp) => gp.path)).toEqual(['/srv/g']);
  });

  test.each([
    [0o644, []],
    [0o600, []],
    [0o664, ['(file): expected a file only its owner may change (mode 0644 or stricter), got mode 0664']],
    [0o646, ['(file): expected a file only its owner may change (mode 0644 or stricter), got mode 0646']],
  ])('a file of mode %o is warned about when others may change it', (mode, expected) => {
    const file = join(dir, `mode-${mode.toString(8)}.yaml`);
    writeFileSync(file, MINIMAL);
    chmodSync(file, mode);
    const result = checkConfigFile(file);
    expect(result.problems).toEqual([]);
    expect(result.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual(expected);
    expect(result.warnings.every((w) => w.line === 1 && w.column === 1)).toBe(true);
  });

  test('loadConfig logs each warning as a JSON line', () => {
    const file = join(dir, 'warned.yaml');
    writeFileSync(file, MINIMAL.replace('effect: deny,audit', 'effect: deny,audit,applykey'));
    chmodSync(file, 0o644);
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    loadConfig(file, logger);
    expect(lines.map((line) => JSON.parse(line))).toEqual([{
      level: 'warn',
      message: 'configuration warning',
      at: `${file}:5:17: policies[0].security_rules[0].effect: applykey has no effect together with deny outside learn mode`,
    }]);
  });

  test('loadConfig throws CONFIG_INVALID with every problem in details', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, MINIMAL.replace('/srv/g', '/proc').replace('policy: p', 'policy: q'));
    let error: TakakryptError | undefined;
    try {
      loadConfig(file);
    } catch (err) {
      error = err as TakakryptError;
    }
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.message).toBe(`expected a valid configuration, got 2 problem(s), the first: ${file}:7:11: guard_points[0].path: expected a directory outside /proc, got "/proc"`);
    expect((error?.details.problems as { message: string }[]).map((p) => p.message)).toEqual([
      'expected a directory outside /proc, got "/proc"',
      'unknown policy "q"; expected one of p',
    ]);
  });

  test.each([
    ['a missing file', () => join(dir, 'absent.yaml'), 'expected a readable file, got ENOENT'],
    ['a directory', () => dir, 'expected a regular file, got a directory'],
    ['a character device', () => '/dev/zero', 'expected a regular file, got a character device'],
    ['an oversized file', () => {
      const file = join(dir, 'big.yaml');
      writeFileSync(file, Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
      return file;
    }, `expected at most ${MAX_CONFIG_BYTES} bytes, got ${MAX_CONFIG_BYTES + 1}`],
  ])('%s is CONFIG_UNREADABLE', (_title, makeFile, message) => {
    const file = makeFile();
    expect(() => checkConfigFile(file)).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE', message: `${file}: ${message}` }));
  });

  test('the configuration directory is the directory of the file given', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub);
    const file = join(sub, 'config.yaml');
    writeFileSync(file, MINIMAL.replace('/srv/g', dir));
    expect(checkConfigFile(file).problems.map((p) => p.message)).toEqual([
      `expected a directory that neither contains nor lies inside the agent's configuration directory ${sub}, got "${dir}"`,
    ]);
  });
});

describe('configs/ examples', () => {
  const configs = join(__dirname, '../../configs');
  const examples = readdirSync(configs).filter((name) => name.endsWith('.yaml'));

  test('the expected examples exist', () => {
    expect(examples).toEqual(expect.arrayContaining(['database.yaml', 'demo.yaml', 'office.yaml']));
  });

  // The text alone: the file mode of a checkout depends on the umask.
  test.each(examples)('%s is valid and has no warnings', (name) => {
    const result = checkConfigText(readFileSync(join(configs, name), 'utf8'), join(configs, name));
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.config?.guardPoints.length).toBeGreaterThan(0);
  });
});
