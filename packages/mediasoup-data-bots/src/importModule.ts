// A real dynamic import(), also in the CommonJS build: tsc rewrites `import()` into
// `require()` there, which cannot load ES modules (vega, or a user's .mjs adapter).

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const realImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

export function importModule(specifier: string): Promise<unknown> {
  return realImport(specifier);
}
