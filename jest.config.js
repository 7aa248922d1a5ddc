/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Tests import the packages by their names, as users do, and get their sources.
  moduleNameMapper: {
    '^(mediasoup-data-producer|mediasoup-local-router|mediasoup-data-bots|mediasoup-data-producer-cli|artillery-engine-mediasoup-data)$':
      '<rootDir>/packages/$1/src/index.ts',
    '^(mediasoup-data-producer|mediasoup-data-producer-cli)/testing$':
      '<rootDir>/packages/$1/src/testing.ts',
    // The repository's shared test support (test/support), from any package's tests.
    '^@test-support/(.*)\\.js$': '<rootDir>/test/support/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
