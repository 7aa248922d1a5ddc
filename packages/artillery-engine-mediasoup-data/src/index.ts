// artillery-engine-mediasoup-data: an Artillery 2 engine whose virtual users are mediasoup
// data bots. Artillery require()s the package and gets MediasoupDataEngine itself (index.cjs);
// the named exports are for tests and tools.

// First: in a worker thread, node-datachannel must load from the thread's own copy.
export { installThreadBinding } from './threadBinding.js';
export {
  ConfigError,
  DEFAULTS,
  ENGINE_NAME,
  MESSAGE_HEADER_SIZE,
  hasStep,
  parseEngineConfig,
  parseFlow,
  parseStep,
  STEP_NAMES,
  type EngineConfig,
  type Step,
} from './config.js';
export { Bot, BotError } from 'mediasoup-data-bots';
export {
  BOT_ID_VAR,
  BOT_VAR,
  MediasoupDataEngine,
  ROOM_INDEX_VAR,
  ROOM_VAR,
  SEQ_VAR,
  type ArtilleryContext,
  type ArtilleryHelpers,
  type ArtilleryScenario,
  type ArtilleryScript,
  type StepFunction,
} from './engine.js';
export { COUNTERS, ERRORS, HISTOGRAMS, PREFIX } from './metrics.js';
