// Package consoletest drives the web console in a real headless Chromium (Debian's
// /usr/bin/chromium, through the npm package playwright-core, see e2e/) against a node with
// the domain modules (tickets, omnichannel, PBX). It lives outside ioc-core, which imports no
// domain package, even in tests.
package consoletest
