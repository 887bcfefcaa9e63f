package auth

import (
	"context"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// DemoUsers are the accounts --demo creates, one per role, with the passwords the README
// lists. They are demo data: never use them on a real hotline.
var DemoUsers = []NewUser{
	{Username: "supervisor", Name: "Trưởng ca Demo", Role: httpapi.RoleSupervisor, Password: "demo-supervisor"},
	{Username: "agent1", Name: "Điện thoại viên 1", Role: httpapi.RoleAgent, Password: "demo-agent1", Extension: "1001"},
	{Username: "agent2", Name: "Điện thoại viên 2", Role: httpapi.RoleAgent, Password: "demo-agent2", Extension: "1002"},
	{Username: "officer", Name: "Cán bộ Sở Xây dựng", Role: httpapi.RoleOfficer, Password: "demo-officer", Departments: []string{"SXD"}},
	{Username: "officer.haichau", Name: "Cán bộ UBND phường Hải Châu", Role: httpapi.RoleOfficer, Password: "demo-officer", Departments: []string{"UBND-HAICHAU"}},
	{Username: "leader", Name: "Lãnh đạo Demo", Role: httpapi.RoleLeader, Password: "demo-leader"},
}

// SeedDemo creates the demo accounts that do not exist yet.
func (s *Service) SeedDemo(ctx context.Context) error {
	for _, n := range DemoUsers {
		if _, err := s.User(ctx, n.Username); err == nil {
			continue
		}
		if _, err := s.CreateUser(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
