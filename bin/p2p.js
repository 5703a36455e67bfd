#!/usr/bin/env node
// The `p2p` command. It runs the compiled code in dist/ (built by `npm run
// build`, which `npm install` runs through the "prepare" script).
import { main } from '../dist/src/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
