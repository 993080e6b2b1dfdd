// Action numbers of the wire (enum takakrypt_action in
// kernel/include/uapi/takakrypt.h) and the field's action names. A jest
// test parses the header, so this table cannot drift from it.
import type { FineAction } from '../config/types';

/** Index = the kernel's action number. */
export const ACTION_NAMES: readonly FineAction[] = [
  'f_rd', 'f_wr', 'f_wr_app', 'f_cre', 'f_ren', 'f_link', 'f_rm',
  'f_rd_att', 'f_chg_att', 'f_rd_sec', 'f_chg_sec',
  'd_rd', 'd_ren', 'd_rd_att', 'd_chg_att', 'd_rd_sec', 'd_chg_sec',
  'd_mkdir', 'd_rmdir', 'd_mknod',
];

/** The action name for a kernel action number, or undefined if unknown. */
export function actionName(n: number): FineAction | undefined {
  return Number.isInteger(n) ? ACTION_NAMES[n] : undefined;
}

/** The kernel action number for an action name, or undefined if unknown. */
export function actionNumber(name: string): number | undefined {
  const n = ACTION_NAMES.indexOf(name as FineAction);
  return n < 0 ? undefined : n;
}
