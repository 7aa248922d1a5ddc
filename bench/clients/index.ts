// The client registry. Each adapter is imported only when it is used, so that one that
// cannot load (ours before src/ lands, a missing native module) fails alone.
import type { ClientName } from '../lib/config.js';
import type { BenchClient } from './types.js';

interface ClientModule {
  createClient(): BenchClient;
}

const loaders: Record<ClientName, () => Promise<ClientModule>> = {
  ours: () => import('./ours.js'),
  raw: () => import('./raw.js'),
  'mediasoup-client': () => import('./mediasoupClient.js'),
  'msc-node': () => import('./mscNode.js'),
  chromium: () => import('./chromium.js'),
};

export async function loadClient(name: ClientName): Promise<BenchClient> {
  const module = await loaders[name]();
  return module.createClient();
}

export type { BenchChannel, BenchClient, SignalingRouter } from './types.js';
