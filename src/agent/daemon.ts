// The running agent: configuration, compiled policy, kernel registration
// and the guard points it mounted. start() does everything or nothing;
// reload() swaps the policy atomically or keeps the old one; stop() undoes
// start(). Process concerns (signals, pid file, detaching) live in run.ts.
import { existsSync, writeFileSync } from 'node:fs';
import type { Config, GuardPoint } from '../config/types';
import { createError } from '../errors';
import type { Logger } from '../log/logger';
import type { NativeCipherTable } from '../kernel/native';
import type { CryptReply, CryptRequest, PolicyAnswer, PolicyQuery } from '../kernel/types';
import type { KeyProvider } from '../keys/provider';
import { HEADER_POOL_LOW_WATER } from './crypt-handler';
import { DataPath } from './data-path';
import { createExeHasher } from './exe-hash';
import { checkDirectory, mountGuardPoints, Mounter, unmountGuardPoints, UnmountFailure } from './guard-points';
import { AuditSink, createQueryHandler, DecisionEngine, HandlerSnapshot } from './handler';
import { checkKeys, requiredKeys } from './keys-check';

/** The kernel channel as the agent uses it (src/kernel/ provides it). */
export interface AgentChannel {
  register(): Promise<void> | void;
  onQuery(handler: (query: PolicyQuery) => void): void;
  answer(answer: PolicyAnswer): Promise<void> | void;
  /** The data path; a channel without it gets no crypt requests answered. */
  onCrypt?(handler: (request: CryptRequest) => void): void;
  answerCrypt?(reply: CryptReply): Promise<void> | void;
  /** Let the channel answer the data requests of files in `table` without the agent; see KernelChannel.serveData. */
  serveData?(table: NativeCipherTable | null, lowWater?: number): void;
  /** Told when a NEW_HEADER the channel answered left a pool with fewer than `lowWater` headers. */
  onPoolLow?(handler: (guardPoint: string, policyName: string, pooled: number) => void): void;
  /** Data requests the channel answered that way. */
  readonly servedInAddon?: number;
  setGeneration(generation: bigint, cacheTtlMs: number): Promise<void> | void;
  close(): Promise<void> | void;
}

/** An audit sink the agent closes at stop. */
export type ClosableAuditSink = AuditSink & { close?(): Promise<void> | void };

/** Everything the agent needs from other parts, injected so tests can fake it. */
export interface AgentDeps {
  loadConfig(file: string): Config;
  compile(config: Config): Promise<DecisionEngine> | DecisionEngine;
  openKeys(config: Config): Promise<KeyProvider> | KeyProvider;
  /** `onLost` is called if the channel's socket fails while the agent runs. */
  openChannel(log: Logger, onLost: (why: string) => void): Promise<AgentChannel> | AgentChannel;
  openAudit(config: Config): Promise<ClosableAuditSink> | ClosableAuditSink;
  userName(uid: number): string | undefined | Promise<string | undefined>;
  mounter: Mounter;
  /** Normally /proc and /sys; tests point them elsewhere. */
  procRoot: string;
  sysRoot: string;
}

/** A configuration that passed every check, with its compiled policy. */
export interface Prepared {
  config: Config;
  snapshot: HandlerSnapshot;
}

/** The agent's state between start() and stop(). */
export class Agent {
  readonly since = new Date();
  private prepared: Prepared | null = null;
  private channel: AgentChannel | null = null;
  private audit: ClosableAuditSink | null = null;
  private generation = 0n;
  private ours: string[] = [];
  private channelLost = false;
  private readonly dataPath: DataPath;

  /** Called once if the kernel channel fails under a running agent. */
  onChannelLost: (why: string) => void = () => undefined;

  constructor(private readonly deps: AgentDeps, private readonly log: Logger) {
    this.dataPath = new DataPath((config) => deps.openKeys(config), log);
  }

  private lost(why: string): void {
    this.channelLost = true;
    this.log.error('kernel channel lost', { error: why });
    this.onChannelLost(why);
  }

  get config(): Config | null {
    return this.prepared?.config ?? null;
  }

  /** Load, validate and compile `file`, and check its keys; touches nothing running. */
  async prepare(file: string): Promise<Prepared> {
    const config = this.deps.loadConfig(file);
    const engine = await this.deps.compile(config);
    // A configuration without keys must not need a key store at all.
    if (requiredKeys(config).size === 0) return this.withEngine(config, engine);
    const keys = await this.deps.openKeys(config);
    try {
      await checkKeys(config, keys);
    } finally {
      (keys as { close?: () => void }).close?.();
    }
    return this.withEngine(config, engine);
  }

  private withEngine(config: Config, engine: DecisionEngine): Prepared {
    return { config, snapshot: { engine, cacheTtlMs: Math.round(config.agent.decisionCacheTtl * 1000) } };
  }

  /** Bring the agent up from an already prepared configuration; undo everything on failure. */
  async start(prepared: Prepared): Promise<void> {
    if (!existsSync(`${this.deps.procRoot}/takakrypt`)) {
      throw createError('AGENT_MODULE_NOT_LOADED', 'kernel module takakrypt is not loaded; run insmod takakrypt.ko');
    }
    this.prepared = prepared;
    try {
      this.audit = await this.deps.openAudit(prepared.config);
      await this.dataPath.open(prepared.config);
      await this.connect(prepared);
      const result = await mountGuardPoints(prepared.config.guardPoints, this.deps.mounter, this.log);
      this.ours = [...result.adopted, ...result.mounted];
      if (result.adopted.length > 0) this.log.info('guard points adopted', { paths: result.adopted });
    } catch (err) {
      await this.disconnect();
      throw err;
    }
  }

  private async connect(prepared: Prepared): Promise<void> {
    this.setKernelTimeout(prepared.config.agent.kernelTimeout);
    const channel = await this.deps.openChannel(this.log, (why) => this.lost(why));
    this.channel = channel;
    await channel.register();
    const handler = createQueryHandler({
      snapshot: () => this.snapshot(),
      answer: (answer) => channel.answer(answer),
      audit: { record: (request, decision) => this.audit?.record(request, decision) },
      hasher: createExeHasher(),
      userName: (uid) => this.deps.userName(uid),
      logger: this.log,
    });
    channel.onQuery((query) => void handler(query));
    const answerCrypt = channel.answerCrypt?.bind(channel);
    if (channel.onCrypt && answerCrypt) {
      const crypt = this.dataPath.handler({
        snapshot: () => this.snapshot(),
        answer: (reply) => answerCrypt(reply),
        audit: { record: (request, decision) => this.audit?.record(request, decision) },
        procRoot: this.deps.procRoot,
      });
      channel.onCrypt((request) => void crypt(request));
      channel.onPoolLow?.((guardPoint, policyName, pooled) => {
        if (this.log.isLevelEnabled('debug')) this.log.debug('header pool low', { guardPoint, policy: policyName, pooled });
        crypt.refill(guardPoint, policyName);
      });
      if (this.dataPath.table !== null) channel.serveData?.(this.dataPath.table, HEADER_POOL_LOW_WATER);
    }
    await this.sendGeneration();
    this.log.info('registered with the kernel module', { generation: String(this.generation) });
  }

  private snapshot(): HandlerSnapshot {
    if (this.prepared === null) throw new Error('expected a loaded policy, found none');
    return this.prepared.snapshot;
  }

  // A new generation flushes the kernel's decision cache. It only grows,
  // across restarts too, because it starts from the wall clock.
  private async sendGeneration(): Promise<void> {
    const now = BigInt(Date.now());
    this.generation = now > this.generation ? now : this.generation + 1n;
    await this.channel?.setGeneration(this.generation, this.snapshot().cacheTtlMs);
  }

  private setKernelTimeout(seconds: number): void {
    const param = `${this.deps.sysRoot}/module/takakrypt/parameters/timeout_ms`;
    try {
      writeFileSync(param, String(Math.round(seconds * 1000)));
    } catch (err) {
      this.log.warn('kernel timeout not set; the module keeps its own', { param, error: (err as Error).message });
    }
  }

  /** Swap in a prepared configuration and flush the kernel cache; mounts added guard points. */
  async reload(next: Prepared): Promise<void> {
    // A missing directory would fail after the swap: refuse before it.
    next.config.guardPoints.filter((gp) => gp.mode === 'auto' && !this.ours.includes(gp.path)).forEach(checkDirectory);
    await this.dataPath.open(next.config);
    const previous = this.prepared;
    this.prepared = next;
    await this.sendGeneration();
    await this.reconcileGuardPoints(previous?.config.guardPoints ?? [], next.config.guardPoints);
    this.log.info('configuration reloaded', { file: next.config.file, generation: String(this.generation) });
  }

  private async reconcileGuardPoints(before: GuardPoint[], after: GuardPoint[]): Promise<UnmountFailure[]> {
    const wanted = new Set(after.filter((gp) => gp.mode === 'auto').map((gp) => gp.path));
    const removed = this.ours.filter((path) => !wanted.has(path) && before.some((gp) => gp.path === path));
    const failures = await unmountGuardPoints(removed, this.deps.mounter, this.log);
    const stillMounted = new Set(failures.map((f) => f.path));
    const added = after.filter((gp) => gp.mode === 'auto' && !this.ours.includes(gp.path));
    const result = await mountGuardPoints(added, this.deps.mounter, this.log);
    this.ours = [...this.ours.filter((p) => wanted.has(p) || stillMounted.has(p)), ...result.mounted, ...result.adopted];
    return failures;
  }

  /** Flush, unmount (unless keepMounts), deregister and close; returns the busy guard points. */
  async stop(keepMounts: boolean): Promise<UnmountFailure[]> {
    // Without a channel nothing could encrypt the dirty pages: skip the flush.
    if (this.channel !== null && !this.channelLost) await this.dataPath.flush(this.deps.mounter);
    const failures = keepMounts ? [] : await unmountGuardPoints(this.ours, this.deps.mounter, this.log);
    await this.disconnect();
    this.log.info('agent stopped', { keptMounted: keepMounts ? this.ours : failures.map((f) => f.path) });
    return failures;
  }

  private async disconnect(): Promise<void> {
    try {
      await this.channel?.close();
    } catch (err) {
      this.log.error('kernel channel close failed', { error: (err as Error).message });
    }
    this.channel = null;
    this.dataPath.close();
    await this.audit?.close?.();
    this.audit = null;
  }

  /** What `status` shows about the running agent. */
  describe(): Record<string, unknown> {
    const mounted = new Set(this.deps.mounter.list().map((m) => m.path));
    return {
      pid: process.pid,
      since: this.since.toISOString(),
      configFile: this.config?.file ?? null,
      generation: String(this.generation),
      dataPath: {
        filesOpen: this.dataPath.cache.size + (this.dataPath.table?.madeCount ?? 0),
        servedInAddon: this.channel?.servedInAddon ?? 0,
        headersOpenedInAddon: this.dataPath.table?.keysAllowed.opened ?? 0,
      },
      guardPoints: (this.config?.guardPoints ?? []).map((gp) => ({
        path: gp.path, policy: gp.policy, mode: gp.mode, mounted: mounted.has(gp.path),
      })),
    };
  }
}
