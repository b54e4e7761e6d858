#!/usr/bin/env node
// Bootstrap: React must run its production build (its dev build records a performance
// measure per render, which leaks at 10 redraws a second), and static imports are hoisted,
// so NODE_ENV is set here before anything imports React.
process.env['NODE_ENV'] ??= 'production';
await import('./main.js');
