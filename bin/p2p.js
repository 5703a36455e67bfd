#!/usr/bin/env node
// The `p2p` command. It runs the compiled code in dist/ (built by `npm run
// build`, which `npm install` runs through the "prepare" script).
import { dropOutputOnceReaderGone, main } from '../dist/src/cli/main.js'

dropOutputOnceReaderGone()
// a failed write of the output (dropOutputOnceReaderGone) may have set 1 already
process.exitCode = (await main(process.argv.slice(2))) || process.exitCode
