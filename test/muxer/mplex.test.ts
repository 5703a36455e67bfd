import t from 'tap'
import { mplex } from '../../src/mplex/index.js'
import { muxerConformance } from './conformance.js'

muxerConformance(t, mplex)
