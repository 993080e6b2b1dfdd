// The validated, normalised configuration: what the loader returns and the
// policy compiler, key store and daemon consume. YAML keys are snake_case;
// these fields are their camelCase equivalents. Every optional YAML field
// has been given its documented default here.

/** Where a value came from in the YAML file, for messages about it. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface AgentSettings {
  /** Agent log file; null means standard error. */
  logFile: string | null;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Audit log file (JSON lines). */
  auditFile: string;
  /** Also send audit records to syslog. */
  auditSyslog: boolean;
  /** How long the kernel may cache a decision, in seconds. */
  decisionCacheTtl: number;
  /** How long the kernel waits for the agent before denying, in seconds. */
  kernelTimeout: number;
  pidFile: string;
}

export interface KeyStoreSettings {
  /** Directory of the local key store. */
  path: string;
}

export interface UserSet {
  name: string;
  /** User names, resolved through NSS when compiled. */
  users: string[];
  uids: number[];
  /** Group names, resolved through NSS when compiled. */
  groups: string[];
  gids: number[];
  position: SourcePosition;
}

/** One process-set entry: an exact executable path, or a directory plus file pattern. */
export interface ProcessEntry {
  /** Absolute directory of the executable. */
  directory: string;
  /** File name or glob pattern (`*`, `?`, `[...]`) within `directory`. */
  file: string;
  /** Lowercase hex SHA-256 the binary must have, when set. */
  sha256: string | null;
  position: SourcePosition;
}

export interface ProcessSet {
  name: string;
  processes: ProcessEntry[];
  position: SourcePosition;
}

/** One resource-set entry, relative to the guard point. */
export interface ResourceEntry {
  /** Directory relative to the guard point, normalised to start with '/'. */
  directory: string;
  /** File name or glob pattern; '*' matches every name. */
  file: string;
  /** Also match in every directory below `directory`. */
  subfolders: boolean;
  position: SourcePosition;
}

export interface ResourceSet {
  name: string;
  resources: ResourceEntry[];
  position: SourcePosition;
}

export type CoarseAction = 'read' | 'write' | 'all_ops' | 'key_op';

export type FineAction =
  | 'f_rd' | 'f_wr' | 'f_wr_app' | 'f_cre' | 'f_ren' | 'f_link' | 'f_rm'
  | 'f_rd_att' | 'f_chg_att' | 'f_rd_sec' | 'f_chg_sec'
  | 'd_rd' | 'd_ren' | 'd_rd_att' | 'd_chg_att' | 'd_rd_sec' | 'd_chg_sec'
  | 'd_mkdir' | 'd_rmdir' | 'd_mknod';

export type Action = CoarseAction | FineAction;

export type Effect = 'permit' | 'deny' | 'audit' | 'applykey';

export interface SecurityRule {
  /** Zero-based index in the policy's rule list (the evaluation order). */
  index: number;
  /** Set names; null means "any". */
  resourceSet: string | null;
  userSet: string | null;
  processSet: string | null;
  /** Negate the corresponding set: the rule matches what is NOT in it. */
  excludeResourceSet: boolean;
  excludeUserSet: boolean;
  excludeProcessSet: boolean;
  /** As written; expanded by the policy compiler. */
  actions: Action[];
  effects: Effect[];
  browsing: boolean;
  position: SourcePosition;
}

export interface KeyRule {
  index: number;
  /** null means every resource. */
  resourceSet: string | null;
  /** Key name in the key store, or 'clear_key' for "not encrypted". */
  key: string;
  position: SourcePosition;
}

export interface Policy {
  name: string;
  learnMode: boolean;
  securityRules: SecurityRule[];
  keyRules: KeyRule[];
  position: SourcePosition;
}

export interface GuardPoint {
  /** Absolute, normalised directory. */
  path: string;
  policy: string;
  /** 'auto': the agent mounts it at start; 'manual': only on command. */
  mode: 'auto' | 'manual';
  position: SourcePosition;
}

export interface Config {
  /** The file it was loaded from. */
  file: string;
  agent: AgentSettings;
  keyStore: KeyStoreSettings;
  userSets: UserSet[];
  processSets: ProcessSet[];
  resourceSets: ResourceSet[];
  policies: Policy[];
  guardPoints: GuardPoint[];
}
