// One shard of a sharded run, in its own process (`mediasoup-data-producer shard`, hidden,
// started by the CLI with an IPC channel): it is sent its task, opens its adapter, says it is
// ready, runs its LoadEngine once told to go, reports its progress and sends its result. When
// the parent goes away, it interrupts its run and ends.

import { spawn, type ChildProcess } from 'node:child_process';

import {
  errorMessage,
  type SctpSettingsMode,
  type SignalingAdapter,
  useSctpSettings,
} from 'mediasoup-data-bots';

import { loadAdapterModule, resolveAdapterSpecifier } from './adapterSpecifier.js';
import { cliCommand } from './adapters/local.js';
import { createAdapter as createWebSocketAdapterFromContext } from './adapters/websocket.js';
import {
  LoadEngine,
  type FromShard,
  type ShardCoordinator,
  type ShardTask,
  type ToShard,
} from './engine/index.js';

/** What every shard is given besides its task: how to reach the app. */
export interface ShardExtra {
  /** A module path, or 'websocket' (the local router is reached through its websocket). */
  signaling: string;
  signalingUrl: string | undefined;
  sctpSettings: SctpSettingsMode;
}

/** Starts a shard: this CLI again, in its own process group (Ctrl-C goes to the parent). */
export function launchShard(): ChildProcess {
  return spawn(process.execPath, [...cliCommand(), 'shard'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
  });
}

async function shardAdapter(extra: ShardExtra): Promise<SignalingAdapter> {
  const context = { url: extra.signalingUrl, env: process.env };
  const target = resolveAdapterSpecifier(extra.signaling);
  if ('builtIn' in target) {
    if (target.builtIn !== 'websocket') {
      throw new Error(`a shard cannot run the ${target.builtIn} adapter itself`);
    }
    return createWebSocketAdapterFromContext(context);
  }
  return loadAdapterModule(target.path, context);
}

type Released = Extract<ToShard, { type: 'producers' | 'consumersOpen' | 'sent' }>;

/**
 * The shard's side of the barriers (see engine/shardBarrier.ts): reports to the parent, and
 * resolves with what the parent releases, or with undefined once interrupted.
 */
class IpcCoordinator implements ShardCoordinator {
  private readonly waiting = new Map<Released['type'], (message: Released | undefined) => void>();
  private interrupted = false;

  constructor(private readonly post: (message: FromShard) => Promise<void>) {}

  async producers(local: Record<number, string[]>): Promise<Record<number, string[]> | undefined> {
    const released = await this.meet({ type: 'producers', producers: local });
    return released?.type === 'producers' ? released.producers : undefined;
  }

  async consumersOpen(): Promise<true | undefined> {
    return (await this.meet({ type: 'consumersOpen' })) ? true : undefined;
  }

  async sent(local: Record<string, number>): Promise<Record<string, number> | undefined> {
    const released = await this.meet({ type: 'sent', sent: local });
    return released?.type === 'sent' ? released.sent : undefined;
  }

  /** A release from the parent. */
  released(message: Released): void {
    const resolve = this.waiting.get(message.type);
    this.waiting.delete(message.type);
    resolve?.(message);
  }

  interrupt(): void {
    this.interrupted = true;
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }

  private meet(message: Released): Promise<Released | undefined> {
    if (this.interrupted) return Promise.resolve(undefined);
    const released = new Promise<Released | undefined>((resolve) => {
      this.waiting.set(message.type, resolve);
    });
    void this.post(message);
    return released;
  }
}

/** Resolves with the exit code. */
export async function runShardChild(): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('error: `shard` is started by the load command, with an IPC channel\n');
    return 2;
  }
  const post = (message: FromShard): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected) {
        resolve();
        return;
      }
      send(message, undefined, {}, () => {
        resolve();
      });
    });
  let engine: LoadEngine | undefined;
  const coordinator = new IpcCoordinator(post);
  let interrupted = false;
  let go: () => void = () => undefined;
  const told = new Promise<void>((resolve) => {
    go = resolve;
  });
  let gotTask: (task: { task: ShardTask; extra: ShardExtra }) => void = () => undefined;
  const task = new Promise<{ task: ShardTask; extra: ShardExtra }>((resolve) => {
    gotTask = resolve;
  });
  // A function: the compiler would narrow `interrupted` across the awaits below.
  const wasInterrupted = (): boolean => interrupted;
  const interrupt = (): void => {
    interrupted = true;
    engine?.interrupt();
    coordinator.interrupt();
    go();
  };
  process.on('message', (message: ToShard) => {
    if (message.type === 'task')
      gotTask({ task: message.task, extra: message.extra as ShardExtra });
    else if (message.type === 'go') go();
    else if (message.type === 'interrupt') interrupt();
    else coordinator.released(message);
  });
  // The parent went away (crashed, killed): stop, close, end.
  process.on('disconnect', interrupt);
  // Ctrl-C is the parent's to handle; it tells every shard.
  process.on('SIGINT', () => undefined);
  let adapter: SignalingAdapter | undefined;
  try {
    const { task: shard, extra } = await Promise.race([
      task,
      told.then(() => {
        throw new Error('interrupted before its task came');
      }),
    ]);
    useSctpSettings(extra.sctpSettings);
    adapter = await shardAdapter(extra);
    // Bots that consume meet the other shards' at the barriers.
    const consuming = (shard.config.consumers ?? 0) > 0 || (shard.config.roomSize ?? 0) > 0;
    engine = new LoadEngine(
      adapter,
      shard.config,
      shard.runId,
      consuming ? coordinator : undefined,
    );
    if (wasInterrupted()) engine.interrupt();
    await post({ type: 'ready' });
    await told;
    const running = engine;
    const timer = setInterval(() => {
      void post({ type: 'snapshot', snapshot: running.snapshot() });
    }, 500);
    let result;
    try {
      result = await running.run();
    } finally {
      clearInterval(timer);
    }
    await post({ type: 'snapshot', snapshot: running.snapshot() });
    await post({ type: 'result', result });
    return 0;
  } catch (error) {
    await post({ type: 'error', message: errorMessage(error) });
    return 1;
  } finally {
    await adapter?.close?.();
    if (process.connected) process.disconnect();
  }
}
