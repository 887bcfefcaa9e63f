package pbx

import "errors"

// Sentinel errors of the PBX.
var (
	ErrDialplan     = errors.New("invalid dialplan")
	ErrNoAgent      = errors.New("no such agent")
	ErrBadState     = errors.New("agent state change not allowed")
	ErrNoOutbound   = errors.New("no trunk takes outbound calls")
	ErrCallNotFound = errors.New("call not found")
)
