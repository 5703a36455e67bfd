export { sealEnvelope, openEnvelope, decodeEnvelope, verifyEnvelope, type DecodedEnvelope, envelopeSignedData, EnvelopeField, type OpenedEnvelope } from './envelope.js'
export {
  createSignedPeerRecord, openSignedPeerRecord, encodePeerRecord, decodePeerRecord,
  PEER_RECORD_DOMAIN, PEER_RECORD_PAYLOAD_TYPE, ROUTING_STATE_DOMAIN, ROUTING_STATE_PAYLOAD_TYPE, PeerRecordField, AddressInfoField,
  type PeerRecord, type OpenedPeerRecord
} from './peer-record.js'
