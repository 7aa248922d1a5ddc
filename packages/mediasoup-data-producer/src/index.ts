import * as types from './types-namespace.js';

export { Device } from './Device.js';
export { Transport } from './Transport.js';
export { DataProducer } from './DataProducer.js';
export { DataConsumer } from './DataConsumer.js';
export { FakeHandler } from './handlers/FakeHandler.js';
export {
  ROUTER_FRIENDLY_SCTP_SETTINGS,
  setRouterFriendlySctpSettings,
} from './handlers/NodeDataChannelHandler.js';
export { InvalidStateError, OperationError, UnsupportedError } from './errors.js';
export { version } from './version.js';
export { types };
