#!/usr/bin/env node
// The checkout's `pyexec` from the TypeScript sources, through tsx: what the
// tests run, so they always see the code as it is now. The installed command
// is the build's (package.json "bin": dist/bin/cli.js, made by `npm run build`).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
