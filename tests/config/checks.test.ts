// Checks beyond the schema: names and references, process and resource
// entries, guard point placement, and several problems reported at once.
import { dirname, join } from 'node:path';
import { check, MINIMAL, yaml } from './helpers';

const POLICY = yaml`
  policies:
    - name: p
      security_rules:
        - action: all_ops
          effect: deny,audit
`;

const guard = (path: string) => `${POLICY}guard_points:\n  - path: ${path}\n    policy: p\n`;

describe('names and references', () => {
  test.each([
    ['duplicate user set', `user_sets:\n  - name: u\n    uids: [1]\n  - name: u\n    uids: [2]\n${MINIMAL}`, [
      '4:11: user_sets[1].name: expected each user set once, got "u" again (first at line 2)',
    ]],
    ['duplicate policy', `${MINIMAL}  - path: /srv/h\n    policy: p\n`.replace('guard_points', `  - name: p\n    security_rules: []\nguard_points`), [
      '6:11: policies[1].name: expected each policy once, got "p" again (first at line 2)',
    ]],
    ['duplicate guard point', `${guard('/srv/g')}  - path: /srv/g/\n    policy: p\n`, [
      '9:11: guard_points[1].path: expected each guard point once, got "/srv/g" again (first at line 7)',
    ]],
    ['undefined user set', yaml`
      user_sets:
        - name: office
          users: [alice]
      policies:
        - name: p
          security_rules:
            - user_set: ofice
              action: read
              effect: permit
      guard_points:
        - path: /srv/g
          policy: p
    `, ['7:19: policies[0].security_rules[0].user_set: unknown user set "ofice"; expected one of office']],
    ['undefined process set, none defined', yaml`
      policies:
        - name: p
          security_rules:
            - process_set: editors
              action: read
              effect: permit
      guard_points:
        - path: /srv/g
          policy: p
    `, ['4:22: policies[0].security_rules[0].process_set: unknown process set "editors"; no process set is defined']],
    ['undefined resource set in a key rule', `${POLICY}    key_rules:\n      - resource_set: docs\n        key: k\n${guard('/srv/g').slice(POLICY.length)}`, [
      '7:23: policies[0].key_rules[0].resource_set: unknown resource set "docs"; no resource set is defined',
    ]],
    ['undefined policy', `${POLICY}guard_points:\n  - path: /srv/g\n    policy: q\n`, [
      '8:13: guard_points[0].policy: unknown policy "q"; expected one of p',
    ]],
    ['exclude without a set', `${POLICY}          exclude_process_set: true\n${guard('/srv/g').slice(POLICY.length)}`.replace('          exclude', '        exclude'), [
      '6:30: policies[0].security_rules[0].exclude_process_set: expected a process_set to exclude, got exclude_process_set: true without one',
    ]],
  ])('%s', (_title, text, expected) => {
    expect(check(text).problems).toEqual(expected);
  });
});

describe('process and resource entries', () => {
  const processes = (entry: string) => `process_sets:\n  - name: x\n    processes:\n      - ${entry}\n${MINIMAL}`;
  const resources = (entry: string) => `resource_sets:\n  - name: r\n    resources:\n      - ${entry}\n${MINIMAL}`;
  test.each([
    ['relative executable', processes('path: usr/bin/nano'), [
      "4:15: process_sets[0].processes[0].path: expected an absolute path (starting with '/'), got \"usr/bin/nano\"",
    ]],
    ['executable given as a directory', processes('path: /usr/bin/'), [
      '4:15: process_sets[0].processes[0].path: expected the path of an executable file, got directory "/usr/bin/"',
    ]],
    ['path and directory', processes('{ path: /usr/bin/nano, directory: /usr/bin, file: nano }'), [
      '4:9: process_sets[0].processes[0]: expected either path, or directory with file, got both',
    ]],
    ['neither path nor directory', processes('{ file: nano }'), [
      '4:9: process_sets[0].processes[0]: expected path, or directory with file, got neither',
    ]],
    ['directory without file', processes('{ directory: /usr/bin }'), [
      '4:9: process_sets[0].processes[0]: expected file with directory (use "*" for every executable in it), got none',
    ]],
    ['relative process directory', processes('{ directory: bin, file: "*" }'), [
      "4:22: process_sets[0].processes[0].directory: expected an absolute path (starting with '/'), got \"bin\"",
    ]],
    ['unclosed bracket', processes('{ directory: /usr/bin, file: "vim[*" }'), [
      "4:38: process_sets[0].processes[0].file: expected ']' to close the '[' at character 4, got \"vim[*\"",
    ]],
    ['reversed range', resources('{ file: "[z-a].txt" }'), [
      '4:17: resource_sets[0].resources[0].file: expected a valid pattern (range out of order in character class), got "[z-a].txt"',
    ]],
    ['slash in a pattern', resources('{ file: "a/*.txt" }'), [
      "4:17: resource_sets[0].resources[0].file: expected a file-name pattern without '/', got \"a/*.txt\"",
    ]],
    ['trailing backslash', resources('{ file: "a\\\\" }'), [
      "4:17: resource_sets[0].resources[0].file: expected a character after the final '\\', got \"a\\\\\"",
    ]],
    ['directory leaving the guard point', resources('{ directory: ../etc }'), [
      "4:22: resource_sets[0].resources[0].directory: expected a directory inside the guard point (no '..'), got \"../etc\"",
    ]],
    ['empty user set', `user_sets:\n  - name: nobody\n${MINIMAL}`, [
      '2:5: user_sets[0]: expected at least one of users, uids, groups, gids, got none',
    ]],
  ])('%s', (_title, text, expected) => {
    expect(check(text).problems).toEqual(expected);
  });
});

describe('guard point placement', () => {
  test.each([
    ['the root', '/', ['7:11: guard_points[0].path: expected a directory other than /, got "/"']],
    ['/proc', '/proc', ['7:11: guard_points[0].path: expected a directory outside /proc, got "/proc"']],
    ['inside /sys', '/sys/kernel', ['7:11: guard_points[0].path: expected a directory outside /sys, got "/sys/kernel"']],
    ['inside /dev', '/dev/shm', ['7:11: guard_points[0].path: expected a directory outside /dev, got "/dev/shm"']],
    ['/boot after normalisation', '/srv/../boot/', ['7:11: guard_points[0].path: expected a directory outside /boot, got "/boot"']],
    ['over the config directory', '/etc', [
      "7:11: guard_points[0].path: expected a directory that neither contains nor lies inside the agent's configuration directory /etc/takakrypt, got \"/etc\"",
    ]],
    ['inside the key store', '/etc/takakrypt/keys/x', [
      "7:11: guard_points[0].path: expected a directory that neither contains nor lies inside the agent's configuration directory /etc/takakrypt, got \"/etc/takakrypt/keys/x\"",
    ]],
    ['over the audit log', '/var/log', [
      '7:11: guard_points[0].path: expected a directory that neither contains nor lies inside the audit log directory /var/log/takakrypt, got "/var/log"',
    ]],
    ['over the pid file', '/run', [
      '7:11: guard_points[0].path: expected a directory that does not contain the pid file directory /run, got "/run"',
    ]],
    ['inside the pid file directory is fine', '/run/shared', []],
    ['relative', 'srv/g', ["7:11: guard_points[0].path: expected an absolute path (starting with '/'), got \"srv/g\""]],
    ['a look-alike of /proc is fine', '/procedures', []],
  ])('%s', (_title, path, expected) => {
    expect(check(guard(path)).problems).toEqual(expected);
  });

  test('the key store and log directories come from the configuration', () => {
    const text = yaml`
      agent:
        log_file: /srv/logs/agent.log
      key_store:
        path: /srv/keys
    ` + `${POLICY}guard_points:\n  - path: /srv/keys\n    policy: p\n  - path: /srv/logs/old\n    policy: p\n`;
    expect(check(text).problems).toEqual([
      '11:11: guard_points[0].path: expected a directory that neither contains nor lies inside the key store /srv/keys, got "/srv/keys"',
      '13:11: guard_points[1].path: expected a directory that neither contains nor lies inside the agent log directory /srv/logs, got "/srv/logs/old"',
    ]);
  });

  test.each([
    ["the agent's installation directory", join(__dirname, '../..')],
    ['the directory of the node executable', dirname(process.execPath)],
  ])('a guard point over %s is refused, one inside it is not', (what, dir) => {
    const over = dirname(dir);
    expect(check(guard(over)).problems).toEqual([
      `7:11: guard_points[0].path: expected a directory that does not contain ${what} ${dir}, got "${over}"`,
    ]);
    expect(check(guard(join(dir, 'data'))).problems).toEqual([]);
  });

  test('nested guard points are reported against the nearest one above, in either order', () => {
    const text = `${POLICY}guard_points:\n` +
      ['/srv/a/b/c', '/srv/a', '/srv/a/b', '/srv/ab'].map((p) => `  - path: ${p}\n    policy: p\n`).join('');
    expect(check(text).problems).toEqual([
      '7:11: guard_points[0].path: expected guard points not to nest, got "/srv/a/b/c" inside guard point "/srv/a/b" (guard_points[2], line 11)',
      '11:11: guard_points[2].path: expected guard points not to nest, got "/srv/a/b" inside guard point "/srv/a" (guard_points[1], line 9)',
    ]);
  });
});

describe('several problems at once', () => {
  test('schema, field and reference problems are all reported, in file order', () => {
    const text = yaml`
      agent:
        log_level: loud
      user_sets:
        - name: team
      policies:
        - name: p
          security_rules:
            - user_set: teem
              action: [read, wirte]
              effect: permit,deny
      guard_points:
        - path: /proc/x
          policy: q
        - path: relative
          policy: p
    `;
    expect(check(text).problems).toEqual([
      '2:14: agent.log_level: expected one of error, warn, info, debug, got string "loud"',
      '4:5: user_sets[0]: expected at least one of users, uids, groups, gids, got none',
      '8:19: policies[0].security_rules[0].user_set: unknown user set "teem"; expected one of team',
      `9:24: policies[0].security_rules[0].action[1]: unknown action "wirte"; expected one of read, write, all_ops, key_op, ${
        'f_rd, f_wr, f_wr_app, f_cre, f_ren, f_link, f_rm, f_rd_att, f_chg_att, f_rd_sec, f_chg_sec, '
      }d_rd, d_ren, d_rd_att, d_chg_att, d_rd_sec, d_chg_sec, d_mkdir, d_rmdir, d_mknod`,
      '10:17: policies[0].security_rules[0].effect: expected exactly one of permit or deny, got both in "permit,deny"',
      '12:11: guard_points[0].path: expected a directory outside /proc, got "/proc/x"',
      '13:13: guard_points[0].policy: unknown policy "q"; expected one of p',
      "14:11: guard_points[1].path: expected an absolute path (starting with '/'), got \"relative\"",
    ]);
  });

  test('a missing key does not hide the problems beside it', () => {
    const text = yaml`
      policies:
        - name: p
          security_rules:
            - user_set: nobody
              action: reed
      guard_points:
        - path: /srv/g
          policy: p
    `;
    expect(check(text).problems).toEqual([
      '4:9: policies[0].security_rules[0]: missing required key "effect"',
      '4:19: policies[0].security_rules[0].user_set: unknown user set "nobody"; no user set is defined',
      `5:17: policies[0].security_rules[0].action: unknown action "reed"; expected one of read, write, all_ops, key_op, ${
        'f_rd, f_wr, f_wr_app, f_cre, f_ren, f_link, f_rm, f_rd_att, f_chg_att, f_rd_sec, f_chg_sec, '
      }d_rd, d_ren, d_rd_att, d_chg_att, d_rd_sec, d_chg_sec, d_mkdir, d_rmdir, d_mknod`,
    ]);
  });

  test('a value the schema rejected is not reported again by later checks', () => {
    const text = `agent:\n  log_file: ""\n${MINIMAL}`;
    expect(check(text).problems).toEqual(['2:13: agent.log_file: expected a non-empty string, got string ""']);
  });
});
