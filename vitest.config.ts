import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    // Set-up hooks start servers and pyexec processes (the whole service loaded through tsx): slow on a busy machine.
    hookTimeout: 180_000,
    // Two cores: integration tests start real servers and Python processes.
    maxWorkers: 2,
    pool: 'forks',
  },
});
