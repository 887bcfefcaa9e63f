package omnichannel

import "errors"

// Sentinel errors of the package.
var (
	ErrNotFound      = errors.New("not found")
	ErrBadSignature  = errors.New("bad signature")
	ErrChannelOff    = errors.New("channel is not configured")
	ErrStaleState    = errors.New("the conversation changed meanwhile")
	ErrNoConnector   = errors.New("no connector for the channel")
	ErrTicketsAbsent = errors.New("the ticket engine is not wired")
)
