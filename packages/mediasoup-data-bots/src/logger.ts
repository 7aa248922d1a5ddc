import debug from 'debug';

/**
 * `debug` namespaces `<app>:Module`, `<app>:WARN:Module`, `<app>:ERROR:Module`; the app is
 * `mediasoup-data-bots` unless a driver names its own (the command line's engine does).
 */
export class Logger {
  readonly debug: debug.Debugger;
  readonly warn: debug.Debugger;
  readonly error: debug.Debugger;

  constructor(prefix: string, app = 'mediasoup-data-bots') {
    this.debug = debug(`${app}:${prefix}`);
    this.warn = debug(`${app}:WARN:${prefix}`);
    this.error = debug(`${app}:ERROR:${prefix}`);
  }
}
