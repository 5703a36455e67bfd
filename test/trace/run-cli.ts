// Runs the `p2p` command from TypeScript sources in a child process (tests
// spawn it with process.execPath and tap's loader from process.execArgv).
// Without arguments (tap running this file as a test) it does nothing.
import { main } from '../../src/cli/main.js'

if (process.argv.length > 2) process.exitCode = await main(process.argv.slice(2))
