// Package ioctest holds the tests that cross the monitoring modules of ioc-core and the
// domain modules (tickets, ...), so that ioc-core itself keeps no domain import.
package ioctest
