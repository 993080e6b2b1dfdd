// Reading the configuration file: one descriptor, a regular file of sane
// size, so a wrong --config (a device, a FIFO, a huge log) fails at once.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { createError } from '../errors';

/** Largest configuration file read. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** What was read: the text and the permission bits of the file. */
export interface ConfigFileText {
  text: string;
  mode: number;
}

/** The file's text and mode; throws CONFIG_UNREADABLE saying what was expected and found. */
export function readConfigText(file: string): ConfigFileText {
  let fd: number;
  try {
    // Non-blocking, so a FIFO given by mistake is refused instead of waited on.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw unreadable(file, `expected a readable file, got ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw unreadable(file, `expected a regular file, got ${fileKind(stat)}`);
    if (stat.size > MAX_CONFIG_BYTES) {
      throw unreadable(file, `expected at most ${MAX_CONFIG_BYTES} bytes, got ${stat.size}`);
    }
    return { text: readAll(fd, stat.size), mode: stat.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}

function readAll(fd: number, size: number): string {
  const buffer = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const n = readSync(fd, buffer, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read).toString('utf8');
}

function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'another kind of file';
}

function unreadable(file: string, message: string) {
  return createError('CONFIG_UNREADABLE', `${file}: ${message}`, { file });
}
