/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  // Suites that start servers or hammer the host are bounded by their own timeouts.
  testTimeout: 60000,
  // dist/ is compiled once here; suites that run the compiled host never rebuild it under each other.
  globalSetup: '<rootDir>/test/support/global-build.ts',
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
