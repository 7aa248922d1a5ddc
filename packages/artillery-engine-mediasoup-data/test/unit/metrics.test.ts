// reasonCounter(): the report's counter of a failure's reason.
import { reasonCounter } from '../../src/metrics.js';

test('reasonCounter() folds numbers and ids so that one reason of many bots is one counter', () => {
  const a = reasonCounter(
    'mediasoup_data.consume_timeout',
    'consumeData: the app pushed no open DataConsumer of DataProducer 0b6c1f7e-2f9d-4a8e-9f43-1c2d3e4f5a6b within 15004 ms',
  );
  const b = reasonCounter(
    'mediasoup_data.consume_timeout',
    'consumeData: the app pushed no open DataConsumer of DataProducer 7d1e9a2b-0c3f-4b5a-8e6d-9f8e7d6c5b4a within 15012.5 ms',
  );

  expect(a).toBe(
    'mediasoup_data.failure_reasons.consume_timeout: consumeData: the app pushed no open DataConsumer of DataProducer ID within N ms',
  );
  expect(b).toBe(a);
});

test('reasonCounter() keeps at most 200 characters of the reason', () => {
  const counter = reasonCounter('mediasoup_data.send_failed', 'x'.repeat(500));

  expect(counter).toBe(`mediasoup_data.failure_reasons.send_failed: ${'x'.repeat(200)}`);
});
