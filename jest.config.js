/** Every test of the monorepo, run against the TypeScript sources (no build needed). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/samples'],
  testMatch: ['**/test/**/*.test.ts', '**/test-services/**/*.test.ts'],
  // One redis-server and one mock Kafka cluster for the whole run (see packages/runtime/test-services).
  globalSetup: '<rootDir>/packages/runtime/test-services/global-setup.ts',
  globalTeardown: '<rootDir>/packages/runtime/test-services/global-teardown.ts',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
    // the CEL library is ESM only: compiled to CommonJS for jest (Node itself requires it as it is)
    '/node_modules/@marcbachmann/cel-js/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  moduleNameMapper: {
    '^@stream-gen/runtime/testing$': '<rootDir>/packages/runtime/src/testing/index.ts',
    '^@stream-gen/(annotations|runtime|codegen)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
  // Two workers on two cores: most tests wait on Kafka, Redis, timers or child processes,
  // so jest's default (cores - 1 = one worker) leaves the machine half idle.
  maxWorkers: 2,
};
