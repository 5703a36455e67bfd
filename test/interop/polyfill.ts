// js-libp2p 3.x calls Promise.withResolvers, which Node 20 lacks: the one
// polyfill lives in bench/ (which is compiled into dist/ and cannot import
// from test/); tests load it from there before any js-libp2p package.
import '../../bench/polyfill.js'
