// The browser bundle of the Chromium yardstick (bench/chromium/setup.sh builds it): the page
// gets mediasoup-client as a global, as a bot's own page script would have it.
import * as mediasoupClient from 'mediasoup-client';

(globalThis as unknown as { mediasoupClient: typeof mediasoupClient }).mediasoupClient =
  mediasoupClient;
