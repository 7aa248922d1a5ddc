// useSctpSettings(): what a driver applies to its process before its bots' first transport.
import { setRouterFriendlySctpSettings } from 'mediasoup-data-producer';

import { DEFAULT_SCTP_SETTINGS, SCTP_SETTINGS_MODES, useSctpSettings } from 'mediasoup-data-bots';

// Process-wide in node-datachannel: the spy keeps this file from changing the jest process's.
jest.mock('mediasoup-data-producer', () => ({
  ...jest.requireActual<object>('mediasoup-data-producer'),
  setRouterFriendlySctpSettings: jest.fn(),
}));

const setSettings = jest.mocked(setRouterFriendlySctpSettings);

test('the modes are router-friendly (the default) and libdatachannel', () => {
  expect(SCTP_SETTINGS_MODES).toEqual(['router-friendly', 'libdatachannel']);
  expect(DEFAULT_SCTP_SETTINGS).toBe('router-friendly');
});

test('useSctpSettings() with libdatachannel changes nothing', () => {
  useSctpSettings('libdatachannel');

  expect(setSettings).not.toHaveBeenCalled();
});

test("useSctpSettings() with router-friendly sets the library's settings once per process", () => {
  useSctpSettings('router-friendly');
  useSctpSettings('router-friendly');

  expect(setSettings).toHaveBeenCalledTimes(1);
  expect(setSettings).toHaveBeenCalledWith();
});

test('useSctpSettings() with another mode throws TypeError naming the modes', () => {
  expect(() => {
    useSctpSettings('fast' as never);
  }).toThrow(
    new TypeError('SCTP settings must be one of router-friendly, libdatachannel, got "fast"'),
  );
});
