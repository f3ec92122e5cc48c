/**
 * Integration tests against real services: a redis-server and librdkafka's
 * mock Kafka cluster, started once per run by global-setup.ts.
 *
 *   npx jest -c packages/runtime/test-services/jest.integration.config.js
 */
const path = require('node:path');
const base = require('../../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '../../..'),
  roots: ['<rootDir>/packages/runtime/test-services'],
  testMatch: ['<rootDir>/packages/runtime/test-services/**/*.test.ts'],
  globalSetup: '<rootDir>/packages/runtime/test-services/global-setup.ts',
  globalTeardown: '<rootDir>/packages/runtime/test-services/global-teardown.ts',
  testTimeout: 60000,
};
