// A strict app in front of the local router's signaling server, as apps with per-peer
// signaling are (mediasoup-demo): each participant connects with `?peerId=<id>&roomId=<room>`,
// must `join` once before anything else, and a second connection of a peer already here is
// refused. With `push`, the app creates DataConsumers itself and pushes them to the peers of
// the room (`newDataConsumer`), as mediasoup-demo does, and does not list producers.

import { WebSocket, WebSocketServer } from 'ws';

export interface StrictApp {
  url: string;
  /** peerIds that joined, in order. */
  joins: string[];
  /** Why connections or requests were refused. */
  refusals: string[];
  /** newDataConsumer requests the peers answered ok. */
  pushed: number;
  close(): Promise<void>;
}

interface Peer {
  id: string;
  room: string;
  joined: boolean;
  client: WebSocket;
  upstream: WebSocket;
  recvTransportId: string | undefined;
  nextUpstreamId: number;
  waiting: Map<number, (answer: { ok: boolean; data?: unknown; error?: unknown }) => void>;
  nextPushId: number;
  pushes: Map<number, (ok: boolean) => void>;
}

type Frame = { id?: unknown; method?: unknown; data?: unknown; ok?: unknown; error?: unknown };

export async function startStrictApp(
  upstreamUrl: string,
  { push = false }: { push?: boolean } = {},
): Promise<StrictApp> {
  const peers = new Map<string, Peer>();
  /** The room's producers: id and the peer that made it. */
  const producers = new Map<
    string,
    { id: string; peer: string; label: string; protocol: string }[]
  >();
  const app: StrictApp = {
    url: '',
    joins: [],
    refusals: [],
    pushed: 0,
    close: () => Promise.resolve(),
  };

  const upstream = (
    peer: Peer,
    method: string,
    data: unknown,
  ): Promise<{ ok: boolean; data?: unknown; error?: unknown }> =>
    new Promise((resolve) => {
      const id = peer.nextUpstreamId++;
      peer.waiting.set(id, resolve);
      peer.upstream.send(JSON.stringify({ id, method, data }));
    });

  /** The app consumes `producer` for `peer` on its recv transport and pushes it. */
  const pushTo = async (
    peer: Peer,
    producer: { id: string; label: string; protocol: string },
  ): Promise<void> => {
    if (!peer.recvTransportId) return;
    const made = await upstream(peer, 'consumeData', {
      transportId: peer.recvTransportId,
      dataProducerId: producer.id,
    });
    if (!made.ok) return;
    const id = peer.nextPushId++;
    const answered = new Promise<boolean>((resolve) => peer.pushes.set(id, resolve));
    peer.client.send(
      JSON.stringify({
        id,
        method: 'newDataConsumer',
        data: {
          ...(made.data as object),
          label: producer.label,
          protocol: producer.protocol,
          appData: { peerId: peer.id },
        },
      }),
    );
    if (await answered) app.pushed++;
  };

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (client, request) => {
    const query = new URL(request.url ?? '/', 'ws://x').searchParams;
    const id = query.get('peerId');
    const room = query.get('roomId');
    if (!id || !room) {
      app.refusals.push(`no peerId or roomId in ${request.url ?? ''}`);
      client.close(4400, 'peerId and roomId required');
      return;
    }
    if (peers.has(id)) {
      app.refusals.push(`peer ${id} already joined`);
      client.close(4409, `peer ${id} already joined`);
      return;
    }
    const peer: Peer = {
      id,
      room,
      joined: false,
      client,
      upstream: new WebSocket(upstreamUrl),
      recvTransportId: undefined,
      nextUpstreamId: 1,
      waiting: new Map(),
      nextPushId: 1_000_000,
      pushes: new Map(),
    };
    peers.set(id, peer);
    const upstreamOpen = new Promise<void>((resolve) =>
      peer.upstream.once('open', () => {
        resolve();
      }),
    );
    peer.upstream.on('message', (raw) => {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      const frame = JSON.parse(raw.toString()) as Frame;
      const resolve = peer.waiting.get(frame.id as number);
      peer.waiting.delete(frame.id as number);
      resolve?.({ ok: frame.ok === true, data: frame.data, error: frame.error });
    });
    client.on('close', () => {
      peers.delete(id);
      peer.upstream.close();
    });
    client.on('message', (raw) => {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      const frame = JSON.parse(raw.toString()) as Frame;
      if (frame.method === undefined) {
        peer.pushes.get(frame.id as number)?.(frame.ok === true);
        peer.pushes.delete(frame.id as number);
        return;
      }
      const reply = (answer: { ok: boolean; data?: unknown; error?: unknown }): void => {
        client.send(JSON.stringify({ id: frame.id, ...answer }));
      };
      const method = typeof frame.method === 'string' ? frame.method : '';
      const data = (frame.data ?? {}) as Record<string, unknown>;
      if (method === 'join') {
        if (peer.joined) {
          app.refusals.push(`peer ${id} joined twice`);
          reply({ ok: false, error: 'already joined' });
          return;
        }
        peer.joined = true;
        app.joins.push(id);
        reply({ ok: true, data: {} });
        return;
      }
      if (!peer.joined) {
        app.refusals.push(`peer ${id} sent ${method} before join`);
        reply({ ok: false, error: 'join first' });
        return;
      }
      if (push && method === 'listDataProducers') {
        reply({ ok: false, error: 'unknown method listDataProducers' });
        return;
      }
      void (async () => {
        await upstreamOpen;
        const answer = await upstream(peer, method, data);
        reply(answer);
        if (!push || !answer.ok) return;
        if (method === 'createWebRtcTransport' && data.direction === 'recv') {
          peer.recvTransportId = (answer.data as { id: string }).id;
          for (const p of producers.get(room) ?? []) if (p.peer !== id) void pushTo(peer, p);
        } else if (method === 'produceData') {
          const producer = {
            id: (answer.data as { id: string }).id,
            peer: id,
            label: typeof data.label === 'string' ? data.label : '',
            protocol: typeof data.protocol === 'string' ? data.protocol : '',
          };
          producers.set(room, [...(producers.get(room) ?? []), producer]);
          for (const other of peers.values()) {
            if (other.room === room && other.id !== id) void pushTo(other, producer);
          }
        }
      })();
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  app.url = `ws://127.0.0.1:${address.port}`;
  app.close = async () => {
    for (const peer of peers.values()) {
      peer.client.terminate();
      peer.upstream.terminate();
    }
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve();
      });
    });
  };
  return app;
}
