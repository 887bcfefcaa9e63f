// Package consoletest drives the web console in a real headless Chromium against a node with
// the domain modules (tickets, omnichannel, PBX). It lives outside ioc-core, which imports no
// domain package, even in tests.
package consoletest
