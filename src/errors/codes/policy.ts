// Error codes of the policy domain: code -> one-line summary (docs/ERRORS.md has the details).
export const policyCodes = {
  POLICY_SET_UNKNOWN: 'a security or key rule names a set that is not defined',
  POLICY_UNKNOWN: 'a guard point names a policy that is not defined',
  POLICY_EFFECT_CONFLICT: 'a security rule has both permit and deny',
  POLICY_PATTERN_INVALID: 'a file pattern of a resource or process set cannot be compiled',
  POLICY_NSS_UNAVAILABLE: 'getent could not be run or the name service failed',
  POLICY_NAME_UNRESOLVED: 'warning: a user or group name of a user set does not resolve and matches nothing',
  POLICY_EXCLUDE_WITHOUT_SET: 'warning: a rule excludes an absent or empty set; the flag is ignored',
  POLICY_EFFECT_DEFAULTED: 'warning: a rule has neither permit nor deny and therefore denies',
  POLICY_GUARD_POINT_NOT_FOUND: 'policy check: the path lies in no guard point',
  POLICY_USER_UNKNOWN: 'policy check: the user does not resolve',
  POLICY_GROUP_UNKNOWN: 'policy check: a group does not resolve',
  POLICY_ARGUMENT_INVALID: 'policy check: an option has a value of the wrong form',
} as const;
