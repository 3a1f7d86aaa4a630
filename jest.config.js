// Two jest projects: unit tests live next to the code (*.test.ts), integration and
// end-to-end tests that start real servers live under tests/. Types are checked by
// `tsc --noEmit` in `npm test`, so the swc transform only strips them.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{common,gateway,subgraphs,stand-ins,schema,scripts,ops}/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      // Most files start a whole stack (stand-ins, subgraphs, gateway) in beforeAll: ~1–2 s
      // alone, but over jest's 5 s default on a loaded 2-core CI machine (seen once:
      // melderegister-gewerbe's beforeAll). Applies to tests and hooks without their own.
      testTimeout: 20_000,
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
    },
  ],
};
