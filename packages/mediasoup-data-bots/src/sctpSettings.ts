// The SCTP settings a bots process runs with. mediasoup 3.8's worker keeps at most 512 DATA
// chunks queued toward each consumer and drops the rest, yet acknowledges a sender at once: a
// bot sending as fast as libdatachannel lets it outruns the router (the CLI at an unlimited
// rate with one consumer per producer lost 20-26 % of 280,000-370,000 messages of 100 bytes on
// 3.8.4). The library's router-friendly settings bound what a sender has in flight. They are
// process-wide in node-datachannel, so a driver chooses them for its whole process (or worker
// thread, which has its own copy of the binding); the library never sets them by itself.

import { setRouterFriendlySctpSettings } from 'mediasoup-data-producer';

/** `router-friendly` (the library's setRouterFriendlySctpSettings()) or `libdatachannel`'s defaults, untouched. */
export const SCTP_SETTINGS_MODES = ['router-friendly', 'libdatachannel'] as const;
export type SctpSettingsMode = (typeof SCTP_SETTINGS_MODES)[number];

export const DEFAULT_SCTP_SETTINGS: SctpSettingsMode = 'router-friendly';

let routerFriendly = false;

/**
 * Applies `mode` to this process (or worker thread) before its first transport. Only
 * `router-friendly` changes anything, once; `libdatachannel` leaves whatever is set alone.
 * Throws TypeError for another mode.
 */
export function useSctpSettings(mode: SctpSettingsMode): void {
  if (!(SCTP_SETTINGS_MODES as readonly unknown[]).includes(mode)) {
    throw new TypeError(
      `SCTP settings must be one of ${SCTP_SETTINGS_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  if (mode !== 'router-friendly' || routerFriendly) return;
  setRouterFriendlySctpSettings();
  routerFriendly = true;
}
