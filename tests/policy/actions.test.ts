import type { Action, FineAction } from '../../src/config/types';
import { BROWSING_ACTIONS, COARSE_ACTIONS, expandActions, FINE_ACTIONS, isCoarseAction, isFineAction } from '../../src/policy/actions';

const READ: FineAction[] = ['f_rd', 'f_rd_att', 'f_rd_sec', 'd_rd', 'd_rd_att', 'd_rd_sec'];
const WRITE: FineAction[] = [
  'f_wr', 'f_wr_app', 'f_cre', 'f_ren', 'f_link', 'f_rm', 'f_chg_att', 'f_chg_sec',
  'd_ren', 'd_chg_att', 'd_chg_sec', 'd_mkdir', 'd_rmdir', 'd_mknod',
];

describe('expandActions', () => {
  test.each<[string, Action[], FineAction[]]>([
    ['read', ['read'], READ],
    ['write', ['write'], WRITE],
    ['all_ops', ['all_ops'], [...FINE_ACTIONS]],
    ['key_op', ['key_op'], []],
    ['read,write', ['read', 'write'], [...FINE_ACTIONS]],
    ['a fine action alone', ['f_wr_app'], ['f_wr_app']],
    ['fine and coarse, duplicated', ['f_rd', 'read', 'd_mkdir'], [...READ, 'd_mkdir']],
    ['key_op with a fine action', ['key_op', 'f_link'], ['f_link']],
    ['nothing', [], []],
  ])('%s', (_name, actions, expected) => {
    expect([...expandActions(actions)].sort()).toEqual([...expected].sort());
  });

  test('read and write split the fine actions without overlap', () => {
    const read = new Set(COARSE_ACTIONS.read);
    expect(COARSE_ACTIONS.write.filter((a) => read.has(a))).toEqual([]);
    expect(COARSE_ACTIONS.read.length + COARSE_ACTIONS.write.length).toBe(FINE_ACTIONS.length);
  });

  test('there are 20 fine actions', () => {
    expect(FINE_ACTIONS).toHaveLength(20);
  });

  test('browsing grants listing and attribute reads only', () => {
    expect([...BROWSING_ACTIONS].sort()).toEqual(['d_rd', 'd_rd_att', 'f_rd_att']);
  });

  test.each([
    ['f_rd', true, false], ['d_mknod', true, false], ['read', false, true], ['key_op', false, true],
    ['F_RD', false, false], ['toString', false, false], ['', false, false],
  ])('%s: fine %s, coarse %s', (word, fine, coarse) => {
    expect(isFineAction(word)).toBe(fine);
    expect(isCoarseAction(word)).toBe(coarse);
  });
});
