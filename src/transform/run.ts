// One offline transformation of a directory tree: checks, walk, per-file
// rewrite, progress and the summary the CLI prints.
import { promises as fsp } from 'fs';
import path from 'path';
import { createError, isTakakryptError } from '../errors';
import { fsyncDirectory } from '../keys/atomic-write';
import type { KeySpec } from '../keys/names';
import type { KeyProvider } from '../keys/provider';
import { readTreeXattrs, xattrToolsAvailable, type XattrMap } from './attributes';
import type { TargetKey, TransformMode } from './classify';
import { transformFile, type FileJob, type FileOutcome } from './file-transform';
import { assertNoActiveGuardPoint } from './guard-check';
import { recoverLinkGroups } from './links';
import { CachingKeyProvider } from './key-cache';
import { silentProgress, type ProgressSink } from './progress';
import { walkTree, type SkippedEntry, type WalkedFile } from './walk';

export interface TransformOptions {
  root: string;
  mode: TransformMode;
  /** Required for encrypt and rekey. */
  key?: KeySpec;
  dryRun?: boolean;
  provider: KeyProvider;
  progress?: ProgressSink;
  /** For tests: the mount table to check for active guard points. */
  mountsFile?: string;
  /** Files converted at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Directories never to transform (the key store): skipped inside the tree, refused as the tree. */
  protectedPaths?: string[];
}

export interface TransformSummary {
  mode: TransformMode;
  dryRun: boolean;
  target: TargetKey | null;
  files: number;
  transformed: number;
  bytes: number;
  done: number;
  skipped: SkippedEntry[];
  notConverted: Array<{ path: string; why: string }>;
  changed: Array<{ path: string; why: string }>;
  failed: Array<{ path: string; code: string; message: string }>;
  leftoversRemoved: number;
  /** Hard-link groups a killed run left half moved, finished before this run. */
  linkGroupsRejoined: number;
  xattrsKept: boolean;
  stoppedBy: string | null;
  elapsedMs: number;
}

async function checkRoot(root: string): Promise<string> {
  const stats = await fsp.stat(root).catch(() => null);
  if (!stats?.isDirectory()) {
    throw createError('TRANSFORM_NOT_DIRECTORY', `expected a directory to transform, got ${stats ? 'another kind of file' : 'nothing'} at ${root}`, { path: root });
  }
  return fsp.realpath(root);
}

// Encrypting the key store would lock every key inside itself.
async function protectedPaths(root: string, paths: readonly string[]): Promise<string[]> {
  const real = await Promise.all(paths.map((p) => fsp.realpath(p).catch(() => path.resolve(p))));
  for (const p of real) {
    if (root === p || root.startsWith(p + '/')) {
      throw createError('TRANSFORM_PROTECTED_PATH', `expected a directory outside the key store ${p}, got ${root}`, { path: root, protected: p });
    }
  }
  return real;
}

async function resolveTarget(options: TransformOptions, provider: KeyProvider): Promise<TargetKey | null> {
  if (options.mode === 'decrypt') return null;
  if (!options.key) throw createError('TRANSFORM_KEY_SPEC_INVALID', `expected --key NAME[:VERSION] for ${options.mode}, got none`);
  const key = await provider.getKey(options.key.name, options.key.version);
  key.material.fill(0);
  return { name: key.name, version: key.version };
}

async function loadXattrs(root: string, dryRun: boolean, progress: ProgressSink): Promise<{ map: XattrMap; kept: boolean }> {
  if (dryRun) return { map: new Map(), kept: true };
  if (!xattrToolsAvailable()) {
    progress.note('warning: getfattr/setfattr (package attr) not found: extended attributes, ACLs and security labels are NOT kept');
    return { map: new Map(), kept: false };
  }
  return { map: await readTreeXattrs(root), kept: true };
}

function describeFailure(err: unknown): { code: string; message: string } {
  if (isTakakryptError(err)) return { code: err.code, message: err.message };
  const e = err as NodeJS.ErrnoException;
  return { code: e.code ?? 'ERROR', message: e.message ?? String(err) };
}

function record(summary: TransformSummary, file: WalkedFile, outcome: FileOutcome, progress: ProgressSink): void {
  if (outcome.result === 'transformed') {
    summary.transformed++;
    summary.bytes += outcome.bytes;
  } else if (outcome.result === 'done') {
    summary.done++;
  } else if (outcome.result === 'skipped') {
    summary.notConverted.push({ path: file.path, why: outcome.why });
    progress.note(`not converted ${file.path}: ${outcome.why}`);
  } else {
    summary.changed.push({ path: file.path, why: outcome.why });
    progress.note(`changed during the run ${file.path}: ${outcome.why}`);
  }
}

/** Files converted at once: small files wait mostly on fsync, which overlaps well. */
export const DEFAULT_CONCURRENCY = 8;

async function convertOne(file: WalkedFile, job: FileJob, xattrs: XattrMap, summary: TransformSummary, progress: ProgressSink, touchedDirs: Set<string>): Promise<void> {
  try {
    const outcome = await transformFile(file, { ...job, xattrs: xattrs.get(file.path) });
    record(summary, file, outcome, progress);
    if (outcome.result === 'transformed') touchedDirs.add(path.dirname(file.path));
  } catch (err) {
    const failure = describeFailure(err);
    summary.failed.push({ path: file.path, ...failure });
    progress.note(`failed ${file.path}: ${failure.message} (${failure.code})`);
    if (failure.code === 'TRANSFORM_NO_SPACE') summary.stoppedBy ??= failure.message;
  }
}

// Convert the files with a few workers; a full filesystem stops the run
// (files in flight finish or fail safely), any other failure is recorded
// and the run goes on. Each file is independent, so crash safety holds.
async function convertAll(files: WalkedFile[], job: FileJob, xattrs: XattrMap, summary: TransformSummary, progress: ProgressSink, concurrency: number): Promise<void> {
  const state = { files: 0, totalFiles: files.length, bytes: 0, totalBytes: files.reduce((n, f) => n + f.stats.size, 0) };
  const touchedDirs = new Set<string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && summary.stoppedBy === null) {
      const file = files[next++];
      await convertOne(file, job, xattrs, summary, progress, touchedDirs);
      state.files++;
      state.bytes += file.stats.size;
      progress.update(state);
    }
  };
  const workers = Number.isInteger(concurrency) && concurrency >= 1 ? concurrency : DEFAULT_CONCURRENCY;
  await Promise.all(Array.from({ length: workers }, worker));
  for (const list of [summary.notConverted, summary.changed, summary.failed]) list.sort((a, b) => (a.path < b.path ? -1 : 1));
  // The renames become durable here; a crash before this leaves old forms
  // in place, which the next run converts again.
  if (!job.dryRun) for (const dir of touchedDirs) await fsyncDirectory(dir);
}

/** Run one transformation; per-file problems are collected, not thrown (TRANSFORM_NO_SPACE stops the run). */
export async function runTransform(options: TransformOptions): Promise<TransformSummary> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const dryRun = options.dryRun ?? false;
  const root = await checkRoot(path.resolve(options.root));
  assertNoActiveGuardPoint(root, options.mountsFile);
  const protect = await protectedPaths(root, options.protectedPaths ?? []);
  const provider = new CachingKeyProvider(options.provider);
  try {
    const target = await resolveTarget(options, provider);
    const rejoined = await recoverLinkGroups(root, dryRun);
    const walked = await walkTree(root, protect);
    if (!dryRun) for (const leftover of walked.leftovers) await fsp.unlink(leftover);
    const xattrs = await loadXattrs(root, dryRun, progress);
    const summary: TransformSummary = {
      mode: options.mode, dryRun, target, files: walked.files.length, transformed: 0, bytes: 0, done: 0,
      skipped: walked.skipped, notConverted: [], changed: [], failed: [],
      leftoversRemoved: dryRun ? 0 : walked.leftovers.length, linkGroupsRejoined: dryRun ? 0 : rejoined, xattrsKept: xattrs.kept, stoppedBy: null, elapsedMs: 0,
    };
    for (const s of walked.skipped) progress.note(`skipped ${s.path}: ${s.detail}`);
    await convertAll(walked.files, { root, mode: options.mode, target, provider, dryRun }, xattrs.map, summary, progress, options.concurrency ?? DEFAULT_CONCURRENCY);
    progress.finish();
    summary.elapsedMs = Date.now() - started;
    return summary;
  } finally {
    provider.dispose();
  }
}

/** True when the run left something for the administrator to look at. */
export function isIncomplete(summary: TransformSummary): boolean {
  return summary.failed.length > 0 || summary.changed.length > 0 || summary.notConverted.length > 0
    || summary.skipped.some((s) => s.reason === 'hard-link' || s.reason === 'other-filesystem');
}
