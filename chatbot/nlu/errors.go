package nlu

import "errors"

// Sentinel errors of the package; wrapped errors carry the details.
var (
	// ErrBadExample is returned by ReadTSV for a line that is not
	// `intent<TAB>category<TAB>text` with known labels.
	ErrBadExample = errors.New("nlu: bad example")
	// ErrNoData is returned when training or evaluation gets no examples.
	ErrNoData = errors.New("nlu: no examples")
	// ErrBadModel is returned by Load for a stream that is not a model file
	// of this version and label set.
	ErrBadModel = errors.New("nlu: bad model file")
	// ErrUsage is returned by RunCLI for a malformed command line.
	ErrUsage = errors.New("nlu: usage")
)
