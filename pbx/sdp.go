package pbx

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/diago/media"
	"github.com/emiago/diago/media/sdp"
)

// Reasons an offer is refused with 488 Not Acceptable Here.
var (
	errNoOffer     = errors.New("no SDP offer (delayed offer is not supported)")
	errNoG711      = errors.New("no G.711 (PCMU or PCMA) in the offer")
	errBadProtocol = errors.New("audio is not offered over RTP/AVP")
)

// parseOffer parses an SDP body and returns it with its audio media description.
func parseOffer(body []byte) (sdp.SessionDescription, sdp.MediaDescription, error) {
	sd := sdp.SessionDescription{}
	if err := sdp.Unmarshal(body, &sd); err != nil {
		return nil, sdp.MediaDescription{}, fmt.Errorf("parse SDP: %w", err)
	}
	if _, err := sd.SessionInformation(); err != nil {
		return nil, sdp.MediaDescription{}, fmt.Errorf("SDP origin: %w", err)
	}
	// diago indexes the third field of c= without looking: check it here.
	for _, c := range sd.Values("c") {
		if len(strings.Fields(c)) < 3 {
			return nil, sdp.MediaDescription{}, fmt.Errorf("SDP connection %q", c)
		}
	}
	md, err := sd.MediaDescription("audio")
	if err != nil {
		return nil, sdp.MediaDescription{}, fmt.Errorf("SDP audio: %w", err)
	}
	return sd, md, nil
}

// checkOffer tells why the PBX cannot answer an INVITE's SDP (nil when it can): there must be
// an offer, with audio over plain RTP and G.711 µ-law or A-law among its formats.
func checkOffer(contentType string, body []byte) error {
	if len(body) == 0 {
		return errNoOffer
	}
	if ct := strings.ToLower(strings.TrimSpace(contentType)); ct != "" && !strings.HasPrefix(ct, "application/sdp") {
		return fmt.Errorf("body is %s, not application/sdp", contentType)
	}
	sd, md, err := parseOffer(body)
	if err != nil {
		return err
	}
	if md.Proto != "RTP/AVP" {
		return errBadProtocol
	}
	codecs := make([]media.Codec, len(md.Formats))
	n, _ := media.CodecsFromSDPRead(md.Formats, sd.Values("a"), codecs)
	for _, c := range codecs[:n] {
		if c.PayloadType == media.CodecAudioUlaw.PayloadType || c.PayloadType == media.CodecAudioAlaw.PayloadType ||
			strings.EqualFold(c.Name, "PCMU") || strings.EqualFold(c.Name, "PCMA") {
			return nil
		}
	}
	return errNoG711
}

// offersHold reports whether an SDP offer puts the sender's peer on hold: direction sendonly or
// inactive (RFC 3264 §8.4), or the connection address 0.0.0.0 of RFC 2543 phones.
func offersHold(body []byte) bool {
	sd, _, err := parseOffer(body)
	if err != nil {
		return false
	}
	for _, c := range sd.Values("c") {
		if f := strings.Fields(c); len(f) >= 3 && strings.HasPrefix(f[2], "0.0.0.0") {
			return true
		}
	}
	switch sd.MediaDirection() {
	case sdp.ModeSendonly, sdp.ModeInactive:
		return true
	}
	return false
}
