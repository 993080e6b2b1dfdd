// The policy engine's request and decision: what the daemon hands to
// decide() for each kernel query and what it gets back.
import type { FineAction } from '../config/types';

/** One access to decide: who (user, process) does what (action) to which object. */
export interface PolicyRequest {
  /** Absolute, normalised guard point directory. */
  guardPoint: string;
  /** Path inside the guard point, starting with '/'; '/' is the guard point itself. */
  path: string;
  isDirectory: boolean;
  action: FineAction;
  uid: number;
  gid: number;
  /** Supplementary group ids. */
  groups: readonly number[];
  /** User name when the caller already knows it; otherwise resolved from uid when needed. */
  userName?: string;
  /** Executable path as the kernel knows it; '' when there is none. */
  exe: string;
  /** Lowercase hex SHA-256 of the executable; null = unreadable, absent = not computed. */
  exeSha256?: string | null;
  pid: number;
}

/** The outcome of decide() for one request. */
export interface PolicyDecision {
  /** Whether the access goes ahead (true also for a learn-mode flagged permit). */
  permit: boolean;
  /** Whether contents are decrypted on read and encrypted on write. */
  applyKey: boolean;
  /** Whether an audit record must be written. */
  audit: boolean;
  /** Index of the deciding security rule; null when no rule matched. */
  ruleIndex: number | null;
  policy: string;
  /** Key named by the first matching key rule; null = clear_key or no key rule (not encrypted). */
  keyName: string | null;
  /** True when the policy's rules denied but learn mode let the access through. */
  learnMode: boolean;
  /** A sentence for people: which rule decided and why. */
  reason: string;
  /**
   * True when no resource set took part in the decision (neither in the
   * security rules looked at nor, for applykey, in the key rules): it holds
   * for every object of the guard point. Absent means false.
   */
  anyObject?: boolean;
}
