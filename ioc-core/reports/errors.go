package reports

import "errors"

// Errors of this package.
var (
	// ErrBadPeriod is a period name that is not daily, weekly or monthly.
	ErrBadPeriod = errors.New("reports: bad period")
	// ErrMail wraps a failure to compose or send a report e-mail.
	ErrMail = errors.New("reports: e-mail")
	// ErrNoRelay is a scheduled send with no SMTP relay or no recipients configured.
	ErrNoRelay = errors.New("reports: no SMTP relay or recipients configured")
)
