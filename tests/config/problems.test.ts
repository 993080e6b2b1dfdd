// Each kind of configuration problem, with its exact message and position.
import { check, MINIMAL, yaml } from './helpers';

const POLICY = yaml`
  policies:
    - name: p
      security_rules:
        - action: all_ops
          effect: deny,audit
`;

const GUARD = yaml`
  guard_points:
    - path: /srv/g
      policy: p
`;

const ACTIONS =
  'read, write, all_ops, key_op, f_rd, f_wr, f_wr_app, f_cre, f_ren, f_link, f_rm, f_rd_att, f_chg_att, ' +
  'f_rd_sec, f_chg_sec, d_rd, d_ren, d_rd_att, d_chg_att, d_rd_sec, d_chg_sec, d_mkdir, d_rmdir, d_mknod';

const ROOT_KEYS = 'agent, key_store, user_sets, process_sets, resource_sets, policies, guard_points';

describe('yaml syntax and document shape', () => {
  test.each([
    ['unterminated flow list', 'guard_points: [a, b\n', ['2:1: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ]']],
    ['duplicate key', 'agent:\n  log_level: info\n  log_level: debug\n', ['3:3: (yaml): Map keys must be unique']],
    ['tab indentation', 'agent:\n\tlog_level: info\n', ['2:1: (yaml): Tabs are not allowed as indentation']],
    ['collection used as a key', 'agent:\n  ? [a, b]\n  : 1\n', ['2:5: (yaml): expected a plain key, got a list or mapping used as a key']],
    ['empty document', '', ['1:1: (root): expected a mapping with guard_points, policies and sets, got an empty document']],
    ['comment only', '# nothing\n', ['1:1: (root): expected a mapping with guard_points, policies and sets, got an empty document']],
    ['top-level list', '- a\n- b\n', ['1:1: (root): expected a mapping, got a list of 2']],
    ['top-level scalar', 'hello\n', ['1:1: (root): expected a mapping, got string "hello"']],
    ['unknown top-level key', `${MINIMAL}guard_point: []\n`, [`9:1: guard_point: unknown key "guard_point" (did you mean "guard_points"?); expected one of ${ROOT_KEYS}`]],
    ['__proto__ key', `__proto__: {}\n${MINIMAL}`, [`1:1: __proto__: unknown key "__proto__"; expected one of ${ROOT_KEYS}`]],
  ])('%s', (_title, text, expected) => {
    expect(check(text).problems).toEqual(expected);
  });

  test('an alias expansion bomb is refused, not expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i += 1) {
      const prev = String.fromCharCode(96 + i);
      lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(check(lines.join('\n')).problems).toEqual(['1:1: (yaml): Excessive alias count indicates a resource exhaustion attack']);
  });
});

describe('schema problems', () => {
  test.each([
    ['wrong type', `agent:\n  audit_syslog: yes\n${MINIMAL}`, ['2:17: agent.audit_syslog: expected a boolean (true or false), got string "yes"']],
    ['enum', `agent:\n  log_level: verbose\n${MINIMAL}`, ['2:14: agent.log_level: expected one of error, warn, info, debug, got string "verbose"']],
    ['number range', `agent:\n  kernel_timeout: 0\n${MINIMAL}`, ['2:19: agent.kernel_timeout: expected a number from 0.1 to 300 (seconds), got number 0']],
    ['uid too large', `user_sets:\n  - name: u\n    uids: [4294967295]\n${MINIMAL}`, ['3:12: user_sets[0].uids[0]: expected an integer from 0 to 4294967294, got number 4294967295']],
    ['negative gid', `user_sets:\n  - name: u\n    gids: [-1]\n${MINIMAL}`, ['3:12: user_sets[0].gids[0]: expected an integer from 0 to 4294967294, got number -1']],
    ['fractional uid', `user_sets:\n  - name: u\n    uids: [1.5]\n${MINIMAL}`, ['3:12: user_sets[0].uids[0]: expected an integer, got number 1.5']],
    ['user name given as number', `user_sets:\n  - name: u\n    users: [1001]\n${MINIMAL}`, ['3:13: user_sets[0].users[0]: expected a string, got number 1001']],
    ['missing required key', `${POLICY}guard_points:\n  - path: /srv/g\n`, ['7:5: guard_points[0]: missing required key "policy"']],
    ['unknown key with suggestion', `${POLICY}        browse: true\n${GUARD}`, [
      '6:9: policies[0].security_rules[0].browse: unknown key "browse" (did you mean "browsing"?); expected one of resource_set, user_set, process_set, exclude_resource_set, exclude_user_set, exclude_process_set, action, effect, browsing',
    ]],
    ['unknown key without suggestion', `key_store:\n  location: /k\n${MINIMAL}`, ['2:3: key_store.location: unknown key "location"; expected one of path']],
    ['bad set name', `user_sets:\n  - name: "a b"\n    uids: [1]\n${MINIMAL}`, [
      '2:11: user_sets[0].name: expected a name of 1 to 64 characters from A-Z a-z 0-9 . _ - starting with a letter or digit, got string "a b"',
    ]],
    ['bad sha256', `process_sets:\n  - name: x\n    processes:\n      - path: /bin/x\n        sha256: abc\n${MINIMAL}`, [
      '5:17: process_sets[0].processes[0].sha256: expected a SHA-256 digest of 64 hexadecimal digits, got string "abc"',
    ]],
    ['empty process list', `process_sets:\n  - name: x\n    processes: []\n${MINIMAL}`, [
      '3:16: process_sets[0].processes: expected at least one process entry, got an empty list',
    ]],
    ['empty resource entry', `resource_sets:\n  - name: r\n    resources: [{}]\n${MINIMAL}`, [
      '3:17: resource_sets[0].resources[0]: expected at least one of directory, file, subfolders, got an empty mapping',
    ]],
    ['key name', `${POLICY}    key_rules:\n      - key: "../k"\n${GUARD}`, [
      '7:14: policies[0].key_rules[0].key: expected a key name of 1 to 64 characters from A-Z a-z 0-9 . _ - starting with a letter or digit, or clear_key, got string "../k"',
    ]],
    ['null effect', `policies:\n  - name: p\n    security_rules:\n      - action: read\n        effect:\n${GUARD}`, [
      '5:16: policies[0].security_rules[0].effect: expected a string or a list, got null',
    ]],
    ['control character in a path', `${POLICY}guard_points:\n  - path: "/srv/a\\nb"\n    policy: p\n`, [
      '7:11: guard_points[0].path: expected a path without control characters, got string "/srv/a\\nb"',
    ]],
  ])('%s', (_title, text, expected) => {
    expect(check(text).problems).toEqual(expected);
  });
});

describe('actions and effects', () => {
  const rule = (action: string, effect: string) =>
    `policies:\n  - name: p\n    security_rules:\n      - action: ${action}\n        effect: ${effect}\n${GUARD}`;
  test.each([
    ['unknown effect', rule('read', 'permit,allow'), ['5:17: policies[0].security_rules[0].effect: unknown effect "allow"; expected one of permit, deny, audit, applykey']],
    ['unknown effect in a list', rule('read', '[permit, allow]'), ['5:26: policies[0].security_rules[0].effect[1]: unknown effect "allow"; expected one of permit, deny, audit, applykey']],
    ['permit and deny', rule('read', 'permit,deny'), ['5:17: policies[0].security_rules[0].effect: expected exactly one of permit or deny, got both in "permit,deny"']],
    ['neither permit nor deny', rule('read', '[audit, applykey]'), ['5:17: policies[0].security_rules[0].effect: expected exactly one of permit or deny, got neither in [audit, applykey]']],
    ['empty effect entry', rule('read', 'permit,,audit'), ['5:17: policies[0].security_rules[0].effect: expected an effect name, got an empty entry in "permit,,audit"']],
    ['unknown action', rule('reed', 'permit'), [`4:17: policies[0].security_rules[0].action: unknown action "reed"; expected one of ${ACTIONS}`]],
    ['unknown action in a list', rule('[f_rd, f_write]', 'permit'), [`4:24: policies[0].security_rules[0].action[1]: unknown action "f_write"; expected one of ${ACTIONS}`]],
    ['empty action list', rule('[]', 'permit'), ['4:17: policies[0].security_rules[0].action: expected a comma-separated string or a list, got an empty list']],
    ['effects are case-sensitive', rule('read', 'Permit'), ['5:17: policies[0].security_rules[0].effect: unknown effect "Permit"; expected one of permit, deny, audit, applykey']],
  ])('%s', (_title, text, expected) => {
    expect(check(text).problems).toEqual(expected);
  });
});
