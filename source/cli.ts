#!/usr/bin/env node
// Bootstrap: React must run its production build (its dev build records a performance
// measure per render, which leaks at 10 redraws a second), and static imports are hoisted,
// so NODE_ENV is set here before anything imports React.
import {setFlagsFromString} from 'node:v8';

process.env['NODE_ENV'] ??= 'production';
// The main thread ingests batches and draws (and samples, for run and attach): 1 MB
// semi-spaces (V8 grows them to 8 MB under the sampler's steady allocation) keep its heap
// small, at the cost of more, shorter scavenges. The heap's limits are fixed when the isolate
// is made, before this runs (--max-semi-space-size here changed nothing: 8 MB of new space
// at 1 kHz), but the growth factor is read at each growth: 1 keeps the semi-spaces at their
// initial 1 MB (attach at 1 kHz: new space 8.0 -> 2.0 MB, peak RSS 66 -> 61 MB).
setFlagsFromString('--semi-space-growth-factor=1');
await import('./main.js');
