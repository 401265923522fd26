#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step), so `npx medlb ...` works right after `npm ci`.
require('tsx/cjs');
require('./medlb.ts');
