import debug from 'debug';

const APP_NAME = 'mediasoup-data-producer';

/** `debug` namespaces `mediasoup-data-producer:Class`, `...:WARN:Class`, `...:ERROR:Class`. */
export class Logger {
  readonly debug: debug.Debugger;
  readonly warn: debug.Debugger;
  readonly error: debug.Debugger;

  constructor(prefix: string) {
    this.debug = debug(`${APP_NAME}:${prefix}`);
    this.warn = debug(`${APP_NAME}:WARN:${prefix}`);
    this.error = debug(`${APP_NAME}:ERROR:${prefix}`);
    this.debug.log = console.info.bind(console);
    this.warn.log = console.warn.bind(console);
    this.error.log = console.error.bind(console);
  }
}
