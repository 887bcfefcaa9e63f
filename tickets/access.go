package tickets

import (
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// canSee enforces that an officer sees and acts only on the tickets of their departments;
// the hotline, leaders and administrators see every ticket. A nil principal is the citizen
// acting through a channel, whose access the action itself limits.
func (m *Module) canSee(p *httpapi.Principal, t *Ticket) error {
	if p == nil || p.Role != httpapi.RoleOfficer {
		return nil
	}
	if t.Department != "" && p.InDepartment(t.Department) {
		return nil
	}
	return httpapi.Forbidden("ticket %s is not with your department", t.Code)
}

// staffRoles may read tickets.
var staffRoles = []httpapi.Role{httpapi.RoleAgent, httpapi.RoleSupervisor, httpapi.RoleOfficer, httpapi.RoleLeader}
