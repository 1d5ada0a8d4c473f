// Three tiers, told apart by file suffix (see STYLE.md): unit, int (real Postgres/NATS), e2e (real processes).
const swc = [
  '@swc/jest',
  {
    sourceMaps: 'inline',
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const moduleNameMapper = {
  '^@tally/(domain|event-store|database|messaging|read-models|platform|testing|payments|audit|warehouse)$':
    '<rootDir>/libs/$1/src/index.ts',
};

const base = {
  rootDir: __dirname,
  // NestJS 12 ships ES modules only; SWC compiles them (and our TypeScript) to CommonJS for Jest.
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: ['/node_modules/.+\.cjs$', '/node_modules/@electric-sql/'],
  moduleNameMapper,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/storefront/'],
};

module.exports = {
  // A global option: Jest ignores it inside `projects`. Integration and e2e tests start real servers.
  testTimeout: 120000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.unit.spec.ts', '<rootDir>/storefront/**/*.unit.spec.ts'],
      // The storefront's pure helpers (lib/) have unit tests; its build output and browser tests do not run here.
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/storefront/\\.next', '/storefront/e2e/'],
    },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/**/test/**/*.e2e.spec.ts', '<rootDir>/storefront/e2e/**/*.e2e.spec.ts'],
      // The storefront's browser tests live under storefront/e2e; the rest of storefront/ is Next's.
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/storefront/(?!e2e/)'],
      // playwright-core is plain CommonJS: loading it untransformed keeps the first run fast.
      transformIgnorePatterns: [...base.transformIgnorePatterns, '/node_modules/playwright-core/'],
    },
  ],
};
