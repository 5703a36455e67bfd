import t from 'tap'
import { yamux } from '../../src/yamux/index.js'
import { muxerConformance } from './conformance.js'

muxerConformance(t, yamux)
