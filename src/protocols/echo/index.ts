export { ECHO_PROTOCOL, ECHO_IDLE_TIMEOUT_MS, handleEcho, type HandleEchoOptions } from './echo.js'
