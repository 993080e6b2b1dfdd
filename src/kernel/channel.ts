// The agent's side of the TAKAKRYPT netlink channel: open, register,
// receive policy queries and crypt requests, answer them, set the policy
// generation, close. A request that cannot be handed to the agent is
// denied (or refused with BAD_REQUEST) here, never dropped: the kernel
// would otherwise wait for its timeout.
import { nullLogger, type Logger } from '../log/logger';
import { commandError, openError } from './errors';
import { refuseCryptReply, toCryptReply, toCryptRequest } from './crypt';
import {
  loadAddon, type NativeAddon, type NativeChannel, type NativeCipherTable, type NativeCryptRequest, type NativeFault,
  type NativeRequest,
} from './native';
import { denyReply, toQuery, toReply } from './query';
import type { CryptReply, CryptRequest, PolicyAnswer, PolicyQuery } from './types';
import { checkUint32, checkUint64 } from './validate';

export interface KernelChannelOptions {
  logger?: Logger;
  /** The addon; tests inject a fake one. */
  addon?: NativeAddon;
}

export type QueryHandler = (query: PolicyQuery) => void;
export type FaultHandler = (fault: NativeFault) => void;
export type CryptHandler = (request: CryptRequest) => void;
export type PoolLowHandler = (guardPoint: string, policyName: string, pooled: number) => void;

/** One open netlink channel to the kernel module. */
export class KernelChannel {
  private queryHandler: QueryHandler | null = null;
  private faultHandler: FaultHandler | null = null;
  private cryptHandler: CryptHandler | null = null;
  private poolLowHandler: PoolLowHandler | null = null;
  private registered = false;
  private native!: NativeChannel;

  private constructor(
    private readonly addon: NativeAddon,
    private readonly log: Logger,
  ) {}

  /** Open the socket and resolve the TAKAKRYPT family (module must be loaded). */
  static open(options: KernelChannelOptions = {}): KernelChannel {
    const addon = options.addon ?? loadAddon();
    const channel = new KernelChannel(addon, options.logger ?? nullLogger());
    try {
      channel.native = new addon.Channel(
        (request) => channel.receive(request),
        (fault) => channel.fault(fault),
        (request) => channel.receiveCrypt(request),
        (guardPoint, policyName, pooled) => channel.poolLow(guardPoint, policyName, pooled),
      );
    } catch (err) {
      throw openError(err);
    }
    return channel;
  }

  get familyId(): number {
    return this.native.familyId;
  }

  get portId(): number {
    return this.native.portId;
  }

  get closed(): boolean {
    return this.native.closed;
  }

  /** Messages that reached the agent's port from anyone but the kernel, dropped unread. */
  get droppedForeign(): number {
    return this.native.droppedForeign;
  }

  /** Data requests the addon answered from the cipher table without the agent. */
  get servedInAddon(): number {
    return this.native.servedInAddon;
  }

  /**
   * Let the receive thread answer the requests of files in `table` itself
   * (and NEW_HEADERs from its pools); null stops it. `lowWater` > 0: the
   * onPoolLow handler hears of every pool such a NEW_HEADER left with
   * fewer ready-made headers.
   */
  serveData(table: NativeCipherTable | null, lowWater = 0): void {
    this.native.serveData(table, lowWater);
  }

  /** Set the function told that a pool of ready-made headers runs low (see serveData). */
  onPoolLow(handler: PoolLowHandler): void {
    this.poolLowHandler = handler;
  }

  /** Become the agent the kernel asks (needs CAP_SYS_ADMIN and CAP_NET_ADMIN). */
  async register(): Promise<void> {
    const { protocolVersion } = this.addon.constants;
    await this.command('REGISTER', () =>
      this.native.register({ protocolVersion, agentPid: process.pid, flags: 0, reserved: 0 }),
    );
    this.registered = true;
  }

  /** Stop being the agent; the kernel fails waiting requests and flushes its cache. */
  async unregister(): Promise<void> {
    await this.command('UNREGISTER', () => this.native.unregister());
    this.registered = false;
  }

  /** Set the function that receives every policy query; it must answer each one. */
  onQuery(handler: QueryHandler): void {
    this.queryHandler = handler;
  }

  /** Set the function that receives every crypt request; it must answer each one. */
  onCrypt(handler: CryptHandler): void {
    this.cryptHandler = handler;
  }

  /** Send the agent's answer to one crypt request; its Buffers go out without a copy. */
  async answerCrypt(reply: CryptReply): Promise<void> {
    const native = toCryptReply(reply, this.addon.constants);
    await this.command('CRYPT_REPLY', () => this.native.cryptReply(native));
  }

  /** Set the function told about receive-side trouble (lost or malformed messages). */
  onFault(handler: FaultHandler): void {
    this.faultHandler = handler;
  }

  /** Send the agent's decision for one query. */
  async answer(answer: PolicyAnswer): Promise<void> {
    const reply = toReply(answer, this.addon.constants);
    await this.command('POLICY_REPLY', () => this.native.reply(reply));
  }

  /** Announce a new policy generation; the kernel flushes its decision cache. */
  async setGeneration(generation: bigint, cacheTtlMs: number): Promise<void> {
    const gen = checkUint64('generation', generation);
    const ttl = checkUint32('cacheTtlMs', cacheTtlMs, this.addon.constants.maxCacheTtlMs);
    await this.command('SET_GENERATION', () =>
      this.native.setGeneration({ generation: gen, maxCacheTtlMs: ttl, reserved: 0 }),
    );
  }

  /** Unregister if registered, then close the socket and stop the receive thread. */
  async close(): Promise<void> {
    if (this.native.closed) return;
    if (this.registered) {
      await this.unregister().catch((err: Error) =>
        this.log.warn('unregister failed while closing', { error: err.message }),
      );
    }
    this.native.close();
  }

  /** Let the process exit while the channel is open (tests, one-shot tools). */
  unref(): void {
    this.native.unref();
  }

  private async command(name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      throw commandError(name, err);
    }
  }

  private receive(request: NativeRequest): void {
    const query = toQuery(request, this.addon.constants);
    if (typeof query === 'string') return this.deny(request.requestId, query);
    if (!this.queryHandler) return this.deny(query.id, 'no query handler is set');
    try {
      this.queryHandler(query);
    } catch (err) {
      this.deny(query.id, `query handler threw: ${(err as Error).message}`);
    }
  }

  private receiveCrypt(request: NativeCryptRequest): void {
    const crypt = toCryptRequest(request, this.addon.constants);
    if (typeof crypt === 'string') return this.refuse(request.requestId, crypt);
    if (!this.cryptHandler) return this.refuse(crypt.id, 'no crypt handler is set');
    try {
      this.cryptHandler(crypt);
    } catch (err) {
      this.refuse(crypt.id, `crypt handler threw: ${(err as Error).message}`);
    }
  }

  private poolLow(guardPoint: string, policyName: string, pooled: number): void {
    try {
      this.poolLowHandler?.(guardPoint, policyName, pooled);
    } catch (err) {
      this.log.warn('pool-low handler threw', { guardPoint, policy: policyName, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private fault(fault: NativeFault): void {
    this.log.error('kernel channel fault', { fault: fault.fault, errno: fault.code, error: fault.message });
    if (fault.requestId !== undefined && fault.command === 'CRYPT_REQ') this.refuse(fault.requestId, fault.message);
    else if (fault.requestId !== undefined) this.deny(fault.requestId, fault.message);
    this.faultHandler?.(fault);
  }

  private refuse(requestId: number, why: string): void {
    this.log.error('crypt request refused by the channel', { requestId, reason: why });
    this.native.cryptReply(refuseCryptReply(requestId, this.addon.constants)).catch((err: Error) => {
      this.log.error('crypt refusal not delivered', { requestId, error: err.message });
    });
  }

  private deny(requestId: number, why: string): void {
    this.log.error('policy query denied by the channel', { requestId, reason: why });
    this.native.reply(denyReply(requestId, this.addon.constants)).catch((err: Error) => {
      this.log.error('deny reply failed', { requestId, error: err.message });
    });
  }
}
