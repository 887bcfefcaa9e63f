package main

import (
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/tickets"
)

// modules are the domain packages this binary plugs into the core, in start order.
func modules() []app.Module {
	return []app.Module{tickets.New(), alerts.New(), kpi.New()}
}
