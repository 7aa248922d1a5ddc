// The command's exit codes: what a script or CI job running it can act on.

export const EXIT_OK = 0;
/** The run ended, but something failed (transports, lost or disordered messages, errors). */
export const EXIT_FAILED = 1;
/** A bad option or adapter module: nothing connected. */
export const EXIT_USAGE = 2;
/** SIGINT or SIGTERM: 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;
