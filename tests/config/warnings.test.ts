// Warnings: accepted configurations that probably do not do what was meant.
import { check, yaml } from './helpers';

const SETS = yaml`
  user_sets:
    - name: u
      uids: [1000]
  process_sets:
    - name: e
      processes:
        - path: /usr/bin/nano
  resource_sets:
    - name: r
      resources:
        - file: "*.txt"
`;

const GUARD = 'guard_points:\n  - path: /srv/g\n    policy: p\n';

/** A policy whose rules are given one per line as flow mappings. */
function policy(rules: string[], extra = ''): string {
  return `${SETS}policies:\n  - name: p\n${extra}    security_rules:\n${rules.map((r) => `      - ${r}\n`).join('')}${GUARD}`;
}

// Rules start on line 15 of `policy(...)`, one line each.
const ruleLine = (i: number) => 15 + i;

describe('rules that can never match', () => {
  test.each([
    ['catch-all first', ['{ action: all_ops, effect: deny }', '{ user_set: u, action: read, effect: permit }'], [1]],
    ['same sets, wider actions first', ['{ user_set: u, process_set: e, action: all_ops, effect: permit }', '{ user_set: u, process_set: e, action: f_rd, effect: deny }'], [1]],
    ['fewer sets first', ['{ user_set: u, action: read, effect: permit }', '{ user_set: u, process_set: e, resource_set: r, action: d_rd, effect: deny }'], [1]],
    ['read then write cover all_ops', ['{ action: read, effect: permit }', '{ action: write, effect: permit }', '{ action: all_ops, effect: deny }'], [2]],
    ['browsing widens the later rule', ['{ user_set: u, action: read, effect: permit }', '{ user_set: u, action: f_rd, effect: permit, browsing: true }'], [1]],
    ['browsing on the earlier rule decides listing', ['{ user_set: u, action: f_rd, effect: deny, browsing: true }', '{ user_set: u, action: [d_rd, f_rd_att], effect: permit }'], [1]],
    ['excluded set in the later rule, none in the earlier', ['{ action: read, effect: permit }', '{ user_set: u, exclude_user_set: true, action: f_rd, effect: deny }'], [1]],
  ])('%s', (_title, rules, shadowed) => {
    const { problems, warnings } = check(policy(rules));
    expect(problems).toEqual([]);
    expect(warnings.map((w) => w.split(':').slice(0, 3).join(':'))).toEqual(
      shadowed.map((i) => `${ruleLine(i)}:9: policies[0].security_rules[${i}]`),
    );
  });

  test.each([
    ['different user set', ['{ user_set: u, action: all_ops, effect: permit }', '{ process_set: e, action: read, effect: deny }']],
    ['earlier rule narrower in actions', ['{ action: read, effect: permit }', '{ action: all_ops, effect: deny }']],
    ['earlier rule has an exclusion', ['{ user_set: u, exclude_user_set: true, action: all_ops, effect: deny }', '{ action: read, effect: permit }']],
    ['later rule excludes the earlier rule\'s set', ['{ user_set: u, action: all_ops, effect: deny }', '{ user_set: u, exclude_user_set: true, action: read, effect: permit }']],
    ['browsing on the earlier rule covers only the browsing actions', ['{ action: f_rd, effect: permit, browsing: true }', '{ action: [d_rd, d_mkdir], effect: deny }']],
    ['key_op covers no file operation', ['{ action: all_ops, effect: deny }', '{ action: key_op, effect: permit }']],
  ])('no warning: %s', (_title, rules) => {
    expect(check(policy(rules)).warnings).toEqual([]);
  });

  test('the message names the earlier rules', () => {
    const { warnings } = check(policy(['{ action: read, effect: permit }', '{ action: write, effect: permit }', '{ action: f_rm, effect: deny }']));
    expect(warnings).toEqual([
      '17:9: policies[0].security_rules[2]: security rule can never match: earlier rules (security_rules[1]) decide every request it covers',
    ]);
  });
});

describe('other warnings', () => {
  test('deny with applykey outside learn mode', () => {
    expect(check(policy(['{ action: all_ops, effect: "deny,applykey" }'])).warnings).toEqual([
      '15:36: policies[0].security_rules[0].effect: applykey has no effect together with deny outside learn mode',
    ]);
  });

  test('deny with applykey in learn mode is not a warning', () => {
    expect(check(policy(['{ action: all_ops, effect: "deny,applykey" }'], '    learn_mode: true\n')).warnings).toEqual([]);
  });

  test('a policy without security rules', () => {
    const text = `policies:\n  - name: p\n    security_rules: []\n${GUARD}`;
    expect(check(text).warnings).toEqual([
      '3:21: policies[0].security_rules: expected at least one security rule, got none: every access will be denied',
    ]);
  });

  test.each([
    ['after a key rule without a resource set', '[{ key: a }, { resource_set: r, key: b }]', 29, 'key_rules[0] has no resource set, so it covers every file'],
    ['for the same resource set', '[{ resource_set: r, key: a }, { resource_set: r, key: clear_key }]', 46, 'key_rules[0] names the same resource set'],
  ])('a key rule that never applies: %s', (_title, keyRules, column, why) => {
    const text = `${SETS}policies:\n  - name: p\n    security_rules: [{ action: all_ops, effect: deny }]\n    key_rules: ${keyRules}\n${GUARD}`;
    const { problems, warnings } = check(text);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([`15:${column}: policies[0].key_rules[1]: key rule never applies: ${why}`]);
  });
});
