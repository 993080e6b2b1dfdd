// Keeping hard links across a transformation. The new form of a linked file
// is one new inode; each name is moved to it by link + rename, which cannot
// be done for all names at once. A journal in the root names the group
// before the first name moves, so a run killed half way leaves a record, and
// the next run moves the remaining names to the inode already in its new
// form before doing anything else.
import { constants, promises as fsp } from 'fs';
import path from 'path';
import { fsyncDirectory } from '../keys/atomic-write';
import { decide, readFileState, type TargetKey, type TransformMode } from './classify';
import { isJournalName, JOURNAL_PREFIX, JOURNAL_SUFFIX, TEMP_PREFIX, TEMP_SUFFIX } from './walk';

interface LinkJournal {
  mode: TransformMode;
  target: TargetKey | null;
  names: string[];
}

async function fsyncDirectories(names: string[]): Promise<void> {
  for (const dir of new Set(names.map((n) => path.dirname(n)))) await fsyncDirectory(dir);
}

// Give `name` the inode of `source`: a staged link in the same directory,
// renamed over the name, so the name is never missing.
async function relink(source: string, name: string, tag: string): Promise<void> {
  const staged = path.join(path.dirname(name), `${TEMP_PREFIX}${tag}${TEMP_SUFFIX}`);
  await fsp.unlink(staged).catch(() => undefined);
  await fsp.link(source, staged);
  await fsp.rename(staged, name);
}

// Written through a temporary file the tool's leftover rule removes, so a
// kill during the write leaves nothing a later run would mistake for data.
async function writeJournal(root: string, journal: string, ino: bigint, record: LinkJournal): Promise<void> {
  const temp = path.join(root, `${TEMP_PREFIX}${ino}-journal${TEMP_SUFFIX}`);
  await fsp.unlink(temp).catch(() => undefined);
  const handle = await fsp.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, journal);
  await fsyncDirectory(root);
}

/** Move `primary` and every other name of the group to the new form in `temp`; journal first. */
export async function commitLinkGroup(root: string, temp: string, primary: string, others: string[], ino: bigint, mode: TransformMode, target: TargetKey | null): Promise<void> {
  const journal = path.join(root, `${JOURNAL_PREFIX}${ino}${JOURNAL_SUFFIX}`);
  const record: LinkJournal = { mode, target, names: [primary, ...others] };
  await writeJournal(root, journal, ino, record);
  for (const [i, name] of others.entries()) await relink(temp, name, `${ino}-link${i}`);
  await fsp.rename(temp, primary);
  await fsyncDirectories(record.names);
  await fsp.unlink(journal);
  await fsyncDirectory(root);
}

async function isNewForm(name: string, journal: LinkJournal): Promise<boolean | null> {
  const handle = await fsp.open(name, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) return null;
  try {
    const state = await readFileState(handle, (await handle.stat()).size);
    return decide(journal.mode, state, journal.target).action === 'done';
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

// Names in the new form share one inode; the rest still hold the old form
// of the same contents and are moved to it.
async function rejoin(journal: LinkJournal, tag: string): Promise<void> {
  const fresh: string[] = [];
  const stale: string[] = [];
  for (const name of journal.names) {
    const isNew = await isNewForm(name, journal);
    if (isNew !== null) (isNew ? fresh : stale).push(name);
  }
  if (fresh.length === 0) return;
  for (const [i, name] of stale.entries()) await relink(fresh[0], name, `${tag}-rejoin${i}`);
  await fsyncDirectories(journal.names);
}

/** Finish the link groups a killed run left journals for; returns how many. */
export async function recoverLinkGroups(root: string, dryRun: boolean): Promise<number> {
  const journals = (await fsp.readdir(root)).filter(isJournalName);
  if (dryRun) return journals.length;
  for (const name of journals) {
    const file = path.join(root, name);
    const journal = JSON.parse(await fsp.readFile(file, 'utf8')) as LinkJournal;
    await rejoin(journal, name.slice(JOURNAL_PREFIX.length, -JOURNAL_SUFFIX.length));
    await fsp.unlink(file);
  }
  if (journals.length > 0) await fsyncDirectory(root);
  return journals.length;
}
