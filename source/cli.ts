#!/usr/bin/env node
// Bootstrap: React must run its production build (its dev build records a performance
// measure per render, which leaks at 10 redraws a second), and static imports are hoisted,
// so NODE_ENV is set here before anything imports React.
import {setFlagsFromString} from 'node:v8';

process.env['NODE_ENV'] ??= 'production';
// The main thread only ingests batches and draws: 1 MB semi-spaces (V8 grows them to 16 MB)
// keep its heap small, at the cost of more, shorter scavenges. Set before anything allocates.
setFlagsFromString('--max-semi-space-size=1');
await import('./main.js');
