// This implementation's name and version, as the agent version of identify
// (libp2p/specs identify/README.md "agentVersion") and `p2p --version` give
// them. VERSION is package.json's version (test/version.test.ts checks).

export const IMPLEMENTATION_NAME = 'libp2p-ts-stack'
export const VERSION = '0.1.0'
