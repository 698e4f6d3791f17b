import { defineConfig } from 'vitest/config'

export default defineConfig({
  define: { __OAUTH_CLI_VERSION__: JSON.stringify('0.0.0-test'), __OAUTH_CLI_HELP__: 'null' },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    restoreMocks: true,
  },
})
