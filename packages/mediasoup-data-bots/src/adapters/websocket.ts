// The built-in adapter that speaks JSON requests over a WebSocket (see docs/cli.md):
//
//   request   { "id": 1, "method": "createWebRtcTransport", "data": { ... } }
//   response  { "id": 1, "ok": true, "data": { ... } }
//          or { "id": 1, "ok": false, "error": "what went wrong" }
//
// Methods: getRouterRtpCapabilities, createWebRtcTransport, connectWebRtcTransport,
// produceData (required); consumeData, closeDataConsumer, listDataProducers, closeTransport,
// getReceiverStats, workerCpuSeconds, join (optional: an error answer that says the method
// is unknown means "not supported"; any other failure is passed on with its message).
//
// A URL with `{{ $botId }}`, `{{ $room }}` or `{{ name }}` (a variable the driver gives) is
// a per-bot template: each bot then opens its own session, a WebSocket of its own on the
// rendered URL that first sends `join` { botId, room }. On a session the server may push
//
//   request   { "id": 7, "method": "newDataConsumer", "data": { id, dataProducerId,
//               sctpStreamParameters, label, protocol, appData } }
//
// which the bot answers, once its DataConsumer exists, with { "id": 7, "ok": true } (or
// ok: false and the error).

import WebSocket from 'ws';

import type {
  BotSessionInfo,
  ConsumeDataResult,
  DataConsumerHandler,
  DataProducerInfo,
  PushedDataConsumer,
  SignalingAdapter,
  SignalingSession,
} from '../adapter.js';
import { errorMessage, NotSupportedError } from '../errors.js';
import { Logger } from '../logger.js';
import type { ReceiverReport } from '../receiver.js';

const logger = new Logger('websocket');

/**
 * How an `ok: false` answer says that the server does not have the method: the shipped
 * server answers `unknown method <name>` (docs/cli.md, "The WebSocket protocol").
 */
const NOT_SUPPORTED_ANSWER = /\bunknown method\b|\bnot (?:supported|implemented)\b/i;

/** How much of an ignored frame a warning quotes. */
const FRAME_PREVIEW_CHARS = 120;

export interface WebSocketAdapterOptions {
  url: string;
  /** How long a request may go unanswered. Default 15000 ms. */
  requestTimeoutMs?: number;
  /**
   * Each bot opens its own session (a WebSocket of its own that joins first), also when the
   * URL has no placeholder left (a driver that rendered it per bot). Default: when the URL
   * is a per-bot template.
   */
  perBot?: boolean;
}

/** A JSON request/response client over one WebSocket, opened on the first request. */
export class JsonWsClient {
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private nextId = 1;
  private closed = false;
  private ignored = 0;
  private lastIgnored: string | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (data: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  /** What answers the server's own requests, by method. */
  private readonly served = new Map<string, (data: unknown) => Promise<unknown>>();

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Frames from the server that answered no pending request: not JSON, without a numeric
   * id, or for a request that had already timed out. Each is also logged as a warning.
   */
  get ignoredFrames(): number {
    return this.ignored;
  }

  /** Answers the server's requests of `method` with what the handler resolves. */
  serve(method: string, handler: (data: unknown) => Promise<unknown>): void {
    this.served.set(method, handler);
  }

  async request(method: string, data: unknown = {}): Promise<unknown> {
    const socket = await this.open();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // An answer the client could not read looks like no answer: say so.
        const ignored =
          this.ignored === 0
            ? ''
            : ` (${this.ignored} frame${this.ignored === 1 ? '' : 's'} from the server ignored, the last: ${this.lastIgnored})`;
        reject(
          new Error(`${method}: no answer from ${this.url} within ${this.timeoutMs} ms${ignored}`),
        );
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ id, method, data }), (error) => {
        if (!error) return;
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        clearTimeout(entry.timer);
        reject(new Error(`${method}: could not send: ${error.message}`));
      });
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.failPending(new Error('signaling closed'));
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close();
    });
  }

  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new Error('signaling closed'));
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      this.socket = socket;
      const onError = (error: Error): void => {
        this.opening = undefined;
        reject(new Error(`could not connect to ${this.url}: ${error.message}`));
      };
      socket.once('error', onError);
      socket.once('open', () => {
        socket.off('error', onError);
        this.opening = undefined;
        socket.on('error', (error) => {
          this.failPending(new Error(`signaling socket error: ${error.message}`));
        });
        resolve(socket);
      });
      socket.on('message', (raw) => {
        this.handleMessage(raw);
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.failPending(new Error(`signaling socket to ${this.url} closed`));
      });
    });
    return this.opening;
  }

  private handleMessage(raw: WebSocket.RawData): void {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    const text = raw.toString();
    let message: {
      id?: unknown;
      ok?: unknown;
      data?: unknown;
      error?: unknown;
      method?: unknown;
    } | null;
    try {
      message = JSON.parse(text) as typeof message;
    } catch (error) {
      this.ignore(`not JSON (${errorMessage(error)})`, text);
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') {
      this.ignore('expected an object with a numeric "id"', text);
      return;
    }
    if (typeof message.method === 'string') {
      this.answerServer(message.id, message.method, message.data);
      return;
    }
    const entry = this.pending.get(message.id);
    if (!entry) {
      this.ignore(`answers no pending request (id ${message.id}; timed out?)`, text);
      return;
    }
    this.pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok === true) entry.resolve(message.data);
    else {
      const reason = message.error;
      const said = typeof reason === 'string' ? reason : JSON.stringify(reason ?? 'request failed');
      entry.reject(NOT_SUPPORTED_ANSWER.test(said) ? new NotSupportedError(said) : new Error(said));
    }
  }

  /** A request from the server: answered with its handler's result or error. */
  private answerServer(id: number, method: string, data: unknown): void {
    const handler = this.served.get(method);
    const answering = handler
      ? handler(data)
      : Promise.reject(new Error(`unknown method ${method}`));
    void answering.then(
      (result: unknown) => {
        this.socket?.send(JSON.stringify({ id, ok: true, data: result ?? {} }));
      },
      (error: unknown) => {
        this.socket?.send(JSON.stringify({ id, ok: false, error: errorMessage(error) }));
      },
    );
  }

  private ignore(why: string, frame: string): void {
    this.ignored++;
    const preview =
      frame.length > FRAME_PREVIEW_CHARS ? `${frame.slice(0, FRAME_PREVIEW_CHARS)}…` : frame;
    this.lastIgnored = `${why}: ${preview}`;
    logger.warn('ignored a frame from %s: %s', this.url, this.lastIgnored);
  }

  private failPending(error: Error): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(error);
    }
  }
}

/** The requests a bot makes, over one client. */
function requestsOver(
  client: JsonWsClient,
): SignalingSession & Required<Pick<SignalingSession, 'close'>> {
  return {
    async getRouterRtpCapabilities() {
      return (await client.request('getRouterRtpCapabilities')) as object;
    },
    async createWebRtcTransport(data) {
      return (await client.request('createWebRtcTransport', data)) as Awaited<
        ReturnType<SignalingAdapter['createWebRtcTransport']>
      >;
    },
    async connectWebRtcTransport(data) {
      await client.request('connectWebRtcTransport', data);
    },
    async produceData(data) {
      const result = (await client.request('produceData', data)) as { id?: unknown } | undefined;
      if (typeof result?.id !== 'string') throw new Error('produceData: the answer has no id');
      return { id: result.id };
    },
    async consumeData(data) {
      const result = (await client.request('consumeData', data)) as
        Partial<ConsumeDataResult> | undefined;
      if (typeof result?.id !== 'string' || typeof result.sctpStreamParameters !== 'object') {
        throw new Error('consumeData: the answer has no id or sctpStreamParameters');
      }
      return {
        id: result.id,
        dataProducerId:
          typeof result.dataProducerId === 'string' ? result.dataProducerId : data.dataProducerId,
        sctpStreamParameters: result.sctpStreamParameters,
        label: typeof result.label === 'string' ? result.label : '',
        protocol: typeof result.protocol === 'string' ? result.protocol : '',
      };
    },
    async closeDataConsumer(data) {
      await client.request('closeDataConsumer', data);
    },
    async listDataProducers(data) {
      const result = await client.request('listDataProducers', data);
      if (!Array.isArray(result)) throw new Error('listDataProducers: the answer is not a list');
      return result.flatMap((item: unknown): DataProducerInfo[] => {
        const p = (item ?? {}) as Record<string, unknown>;
        if (typeof p.id !== 'string') return [];
        return [
          {
            id: p.id,
            label: typeof p.label === 'string' ? p.label : '',
            protocol: typeof p.protocol === 'string' ? p.protocol : '',
            appData:
              typeof p.appData === 'object' && p.appData !== null
                ? (p.appData as Record<string, unknown>)
                : {},
          },
        ];
      });
    },
    async closeTransport(data) {
      await client.request('closeTransport', data);
    },
    async close() {
      await client.close();
    },
  };
}

/** The `{{ ... }}` placeholders of a per-bot URL template. */
const PLACEHOLDER = /{{\s*([$\w.]+)\s*}}/g;

/** Whether the URL is a per-bot template. */
export function isUrlTemplate(url: string): boolean {
  return /{{\s*[$\w.]+\s*}}/.test(url);
}

/**
 * The URL for one bot: `{{ $botId }}`, `{{ $room }}` and `{{ name }}` (info.vars) replaced,
 * URI-encoded. Throws naming a placeholder that has no value.
 */
export function renderUrlTemplate(url: string, info: BotSessionInfo): string {
  return url.replace(PLACEHOLDER, (_match, name: string) => {
    const value = name === '$botId' ? info.botId : name === '$room' ? info.room : info.vars[name];
    if (value === undefined || value === null) {
      throw new Error(`the signaling URL template has no value for {{ ${name} }}`);
    }
    return encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value));
  });
}

function pushedConsumer(data: unknown): PushedDataConsumer {
  const d = (data ?? {}) as Record<string, unknown>;
  if (
    typeof d.id !== 'string' ||
    typeof d.dataProducerId !== 'string' ||
    typeof d.sctpStreamParameters !== 'object' ||
    d.sctpStreamParameters === null
  ) {
    throw new Error('newDataConsumer: expected id, dataProducerId and sctpStreamParameters');
  }
  return {
    id: d.id,
    dataProducerId: d.dataProducerId,
    sctpStreamParameters: d.sctpStreamParameters as PushedDataConsumer['sctpStreamParameters'],
    label: typeof d.label === 'string' ? d.label : '',
    protocol: typeof d.protocol === 'string' ? d.protocol : '',
    appData:
      typeof d.appData === 'object' && d.appData !== null
        ? (d.appData as Record<string, unknown>)
        : {},
  };
}

/**
 * One bot's session: its own WebSocket on the rendered URL, `join` sent first (a server
 * that does not know it answers "unknown method": no join needed), pushed consumers
 * handed to the bot.
 */
async function openWebSocketSession(
  options: WebSocketAdapterOptions,
  info: BotSessionInfo,
): Promise<SignalingSession> {
  const client = new JsonWsClient(
    renderUrlTemplate(options.url, info),
    options.requestTimeoutMs ?? 15000,
  );
  try {
    await client.request('join', {
      botId: info.botId,
      ...(info.room !== undefined && { room: info.room }),
    });
  } catch (error) {
    if (!(error instanceof NotSupportedError)) {
      await client.close();
      throw new Error(`join: ${errorMessage(error)}`);
    }
  }
  return {
    ...requestsOver(client),
    onDataConsumer(handler: DataConsumerHandler) {
      client.serve('newDataConsumer', async (data) => {
        await handler(pushedConsumer(data));
        return {};
      });
    },
  };
}

/**
 * The JSON-over-WebSocket adapter. With a per-bot URL template (`{{ $botId }}`, ...) each
 * bot opens its own session (openSession); the adapter's own requests then refuse, since
 * there is no one URL to send them to.
 */
export function createWebSocketAdapter(options: WebSocketAdapterOptions): SignalingAdapter {
  if (options.perBot === true || isUrlTemplate(options.url)) {
    const refuse = (): Promise<never> =>
      Promise.reject(
        new Error(
          `the signaling URL ${options.url} is a per-bot template: each bot signals through its own session`,
        ),
      );
    return {
      getRouterRtpCapabilities: refuse,
      createWebRtcTransport: refuse,
      connectWebRtcTransport: refuse,
      produceData: refuse,
      openSession: (info) => openWebSocketSession(options, info),
    };
  }
  const client = new JsonWsClient(options.url, options.requestTimeoutMs ?? 15000);
  return {
    ...requestsOver(client),
    async getReceiverStats(data) {
      try {
        return ((await client.request('getReceiverStats', data)) ?? undefined) as
          ReceiverReport | undefined;
      } catch (error) {
        if (error instanceof NotSupportedError) return undefined;
        throw error;
      }
    },
    async workerCpuSeconds() {
      return (await client.request('workerCpuSeconds')) as number;
    },
  };
}
