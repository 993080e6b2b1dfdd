// Audit records to syslog through util-linux `logger`, one long-lived
// process reading lines on standard input (Node has no unix datagram
// sockets, and one process per record would be far too slow).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log/logger';
import { nullLogger } from '../log/logger';

/** Where audit lines go besides the file. */
export interface AuditSink {
  write(line: string): void;
  close(): Promise<void>;
}

/** Options of LoggerSyslogSink. */
export interface SyslogOptions {
  /** The logger executable; a test points it at a fake. */
  command?: string;
  tag?: string;
  logger?: Logger;
}

/** A sink that feeds `logger -t TAG -p authpriv.info` one line per record. */
export class LoggerSyslogSink implements AuditSink {
  private child: ChildProcess | null = null;
  private failed = false;
  private reported = false;
  private readonly log: Logger;

  constructor(private readonly options: SyslogOptions = {}) {
    this.log = options.logger ?? nullLogger();
  }

  private start(): ChildProcess {
    const args = ['-t', this.options.tag ?? 'takakrypt-audit', '-p', 'authpriv.info', '--size', '16384'];
    const child = spawn(this.options.command ?? 'logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 4096) stderr += chunk.toString(); });
    // A broken pipe comes before the exit that explains it: stop writing at
    // once, report when the exit status and standard error are known.
    child.stdin?.on('error', () => { this.failed = true; });
    child.on('error', (err) => this.report(err.message));
    child.on('close', (code, signal) => {
      if (code !== 0) this.report(`expected logger to run until closed, got ${code === null ? `signal ${signal}` : `exit ${code}`}: ${stderr.trim()}`);
    });
    return child;
  }

  private report(detail: string): void {
    this.failed = true;
    if (this.reported) return;
    this.reported = true;
    this.log.error({ code: 'AUDIT_SYSLOG_FAILED', detail, message: 'audit syslog stopped' });
  }

  /** Send one line; dropped (after one logged error) once syslog has failed. */
  write(line: string): void {
    if (this.failed) return;
    this.child ??= this.start();
    this.child.stdin?.write(line);
  }

  /** Close standard input and wait for logger to exit. */
  async close(): Promise<void> {
    const child = this.child;
    if (child === null || this.failed || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
      child.stdin?.end();
    });
  }

  /** Whether syslog output has stopped. */
  get broken(): boolean {
    return this.failed;
  }
}
