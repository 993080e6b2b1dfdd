// Progress of a transform run: a redrawn bar on a terminal, a plain line per
// second otherwise, and notes (skipped, changed, failed files) as lines.
import type { WriteStream } from 'tty';

export interface ProgressState {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/** Where a run reports progress; tests pass a silent one. */
export interface ProgressSink {
  update(state: ProgressState): void;
  note(line: string): void;
  finish(): void;
}

/** A sink that drops everything. */
export const silentProgress: ProgressSink = { update: () => undefined, note: () => undefined, finish: () => undefined };

/** Bytes in B, KiB, MiB or GiB with one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "12/100 files, 3.0 MiB/10.0 MiB, 45.1 MiB/s, ETA 0:03" for `state` after `elapsedMs`. */
export function describeProgress(state: ProgressState, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (state.bytes * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (state.totalBytes - state.bytes) / rate : Infinity;
  return `${state.files}/${state.totalFiles} files, ${formatBytes(state.bytes)}/${formatBytes(state.totalBytes)}, ${formatBytes(rate)}/s, ETA ${formatDuration(eta)}`;
}

/** Progress on `stream`: a bar when it is a terminal, a line per `intervalMs` otherwise. */
export function streamProgress(stream: NodeJS.WriteStream, intervalMs = 1000): ProgressSink {
  const tty = (stream as WriteStream).isTTY === true;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  let latest: ProgressState | null = null;
  const draw = (state: ProgressState): void => {
    const text = describeProgress(state, Date.now() - started);
    if (!tty) {
      stream.write(`progress: ${text}\n`);
      return;
    }
    const width = 24;
    const filled = state.totalBytes > 0 ? Math.round((width * state.bytes) / state.totalBytes) : width;
    stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
    drawn = true;
  };
  return {
    update(state) {
      latest = state;
      const now = Date.now();
      if (now - last >= (tty ? 100 : intervalMs)) {
        last = now;
        draw(state);
      }
    },
    note(line) {
      stream.write(`${drawn ? '\r\x1b[K' : ''}${line}\n`);
      drawn = false;
    },
    finish() {
      if (latest) draw(latest);
      if (drawn) stream.write('\n');
    },
  };
}
