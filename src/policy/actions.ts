// The fine-grained action list and the coarse-to-fine mapping used by the
// policy compiler; docs/POLICY.md justifies each entry of the table.
import type { Action, CoarseAction, FineAction } from '../config/types';

/** Every fine-grained action, in the order the field documents them. */
export const FINE_ACTIONS: readonly FineAction[] = [
  'f_rd', 'f_wr', 'f_wr_app', 'f_cre', 'f_ren', 'f_link', 'f_rm',
  'f_rd_att', 'f_chg_att', 'f_rd_sec', 'f_chg_sec',
  'd_rd', 'd_ren', 'd_rd_att', 'd_chg_att', 'd_rd_sec', 'd_chg_sec',
  'd_mkdir', 'd_rmdir', 'd_mknod',
];

/** Actions that only observe: contents, attributes and security labels. */
const READ_ACTIONS: readonly FineAction[] = [
  'f_rd', 'f_rd_att', 'f_rd_sec', 'd_rd', 'd_rd_att', 'd_rd_sec',
];

// Everything that creates, changes or removes something. Link and symlink
// creation count as writes (f_link), as does creating device nodes.
const WRITE_ACTIONS: readonly FineAction[] = FINE_ACTIONS.filter(
  (action) => !READ_ACTIONS.includes(action),
);

/** The coarse-to-fine table. key_op grants no file operation at all. */
export const COARSE_ACTIONS: Readonly<Record<CoarseAction, readonly FineAction[]>> = {
  read: READ_ACTIONS,
  write: WRITE_ACTIONS,
  all_ops: FINE_ACTIONS,
  key_op: [],
};

/** What a browsing rule grants besides its own actions: listing and attributes, never contents. */
export const BROWSING_ACTIONS: readonly FineAction[] = ['d_rd', 'd_rd_att', 'f_rd_att'];

const FINE_SET: ReadonlySet<string> = new Set(FINE_ACTIONS);

/** True when `value` names a fine-grained action. */
export function isFineAction(value: string): value is FineAction {
  return FINE_SET.has(value);
}

/** True when `value` names a coarse action. */
export function isCoarseAction(value: string): value is CoarseAction {
  return Object.prototype.hasOwnProperty.call(COARSE_ACTIONS, value);
}

/** Expand a rule's actions (coarse or fine, as written) to the fine-grained set they cover. */
export function expandActions(actions: readonly Action[]): Set<FineAction> {
  const expanded = new Set<FineAction>();
  for (const action of actions) {
    if (isFineAction(action)) {
      expanded.add(action);
    } else {
      for (const fine of COARSE_ACTIONS[action]) expanded.add(fine);
    }
  }
  return expanded;
}
