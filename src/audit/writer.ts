// The audit writer: appends one JSON line per audited decision to the
// audit file (mode 0600) and, when configured, to syslog.
import { createWriteStream, type WriteStream } from 'node:fs';
import { createError } from '../errors';
import type { Logger } from '../log/logger';
import { nullLogger } from '../log/logger';
import type { NssResolver } from '../policy/resolver';
import type { PolicyDecision, PolicyRequest } from '../policy/types';
import { buildAuditRecord, formatAuditLine, mustAudit } from './record';
import type { AuditSink } from './syslog';

/** Options of openAuditWriter(). */
export interface AuditWriterOptions {
  /** The audit file, opened for appending. */
  file: string;
  /** A second destination, e.g. LoggerSyslogSink; null for none. */
  syslog?: AuditSink | null;
  /** For the user name when the request has none (uid -> name, cached by the resolver). */
  resolver?: NssResolver;
  logger?: Logger;
  /** The clock; a test fixes it. */
  now?: () => Date;
}

/** Writes audit records; open it with openAuditWriter(). */
export class AuditWriter {
  private failed = false;
  private readonly log: Logger;

  constructor(private readonly stream: WriteStream, private readonly options: AuditWriterOptions) {
    this.log = options.logger ?? nullLogger();
    stream.on('error', (err) => {
      if (this.failed) return;
      this.failed = true;
      this.log.error({ code: 'AUDIT_WRITE_FAILED', file: options.file, detail: err.message, message: 'audit file write failed' });
    });
  }

  private userName(request: PolicyRequest): string | null {
    if (request.userName !== undefined) return request.userName;
    try {
      return this.options.resolver?.userByUid(request.uid)?.name ?? null;
    } catch {
      // An unreachable name service must not lose the record: the uid is in it.
      return null;
    }
  }

  /** Write the record if the decision must be audited; returns whether it was. */
  record(request: PolicyRequest, decision: PolicyDecision): boolean {
    if (!mustAudit(decision)) return false;
    const now = this.options.now?.() ?? new Date();
    const line = formatAuditLine(buildAuditRecord(request, decision, this.userName(request), now));
    if (!this.failed) this.stream.write(line);
    this.options.syslog?.write(line);
    return true;
  }

  /** Flush and close the file and the syslog sink. */
  async close(): Promise<void> {
    await this.options.syslog?.close();
    if (this.stream.closed || this.failed) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }
}

/** Open the audit file for appending (created 0600) and return a writer; fails with AUDIT_OPEN_FAILED. */
export async function openAuditWriter(options: AuditWriterOptions): Promise<AuditWriter> {
  const stream = createWriteStream(options.file, { flags: 'a', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(createError('AUDIT_OPEN_FAILED', `expected to open audit file ${options.file} for appending, got: ${err.message}`)));
  });
  return new AuditWriter(stream, options);
}
