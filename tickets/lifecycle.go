package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// maxExtensionDays bounds one extension request, in working days.
const maxExtensionDays = 30

func doTriage(ctx context.Context, c *change, req ActionRequest) error {
	t, f := c.t, map[string]string{}
	if req.Location != nil {
		if err := checkLocation(*req.Location); err != "" {
			f["location"] = err
		}
		loc := *req.Location
		t.Location = &loc
	}
	if req.Address != "" {
		t.Address = clean(req.Address)
	}
	category, ward := req.Category, req.Ward
	if category == "" {
		category = t.Category
	}
	if ward == "" && t.Ward != "" {
		ward = t.Ward
	}
	t.Category, t.Ward = "", ""
	c.m.prepareRefs(ctx, category, ward, t, f)
	if req.Department != "" {
		if err := c.m.checkDepartment(ctx, req.Department); err != nil {
			return err
		}
	}
	if len(f) > 0 {
		return httpapi.Invalid(f)
	}
	t.Search = searchText(t)
	switch {
	case req.Department != "":
		t.Department, t.Rule = req.Department, ""
	case t.Category != "" && t.Ward != "":
		rt, ok, err := c.m.routeTicket(ctx, t.Category, t.Ward, t.Description+" "+t.Address)
		if err != nil {
			return err
		}
		if ok {
			t.Department, t.Rule = rt.department, rt.rule
			c.rule = rt.rule
		}
	}
	if t.Category != c.old.Category {
		return c.m.setAnswerDeadline(ctx, t, t.CreatedAt)
	}
	return nil
}

func doAssign(ctx context.Context, c *change, req ActionRequest) error {
	t := c.t
	dept := req.Department
	if dept == "" {
		dept = t.Department
	}
	if dept == "" {
		return httpapi.Invalid(map[string]string{"department": "required: triage found no department, so name one"})
	}
	if err := c.m.checkDepartment(ctx, dept); err != nil {
		return err
	}
	if dept != t.Department {
		t.Rule = ""
	}
	c.rule = t.Rule
	c.m.assignTo(t, route{dept, t.Rule}, c.now)
	return c.m.setAcceptDeadline(ctx, t, c.now)
}

func doAccept(_ context.Context, c *change, _ ActionRequest) error {
	c.t.Status, c.t.AcceptedAt = StatusInProgress, &c.now
	return nil
}

func doReturn(_ context.Context, c *change, req ActionRequest) error {
	if err := required("reason", req.Reason, "why this is not the department's remit"); err != nil {
		return err
	}
	t := c.t
	c.reason, c.note = clean(req.Reason), "returned by "+t.Department
	t.Status, t.Reason, t.Department, t.Rule = StatusNew, c.reason, "", ""
	t.AssignedAt, t.AcceptedAt, t.AcceptDueAt, t.AcceptOverdue = nil, nil, nil, false
	return nil
}

func doTransfer(ctx context.Context, c *change, req ActionRequest) error {
	if err := required("department", req.Department, "the department to transfer to"); err != nil {
		return err
	}
	if err := required("reason", req.Reason, "why the ticket is transferred"); err != nil {
		return err
	}
	if err := c.m.checkDepartment(ctx, req.Department); err != nil {
		return err
	}
	t := c.t
	if req.Department == t.Department {
		return httpapi.Invalid(map[string]string{"department": fmt.Sprintf("the ticket is already with %s", t.Department)})
	}
	c.reason, c.note = clean(req.Reason), "from "+t.Department
	t.Reason, t.Rule, t.AcceptedAt = c.reason, "", nil
	c.m.assignTo(t, route{req.Department, ""}, c.now)
	return c.m.setAcceptDeadline(ctx, t, c.now)
}

func doRequestExtension(_ context.Context, c *change, req ActionRequest) error {
	t := c.t
	if t.Extension != nil && t.Extension.State == ExtensionRequested {
		return httpapi.Conflict("ticket %s already has an extension request waiting for a decision", t.Code)
	}
	if t.DueAt == nil {
		return httpapi.Conflict("ticket %s has no answer deadline to extend: triage its category first", t.Code)
	}
	f := map[string]string{}
	if req.Days < 1 || req.Days > maxExtensionDays {
		f["days"] = fmt.Sprintf("working days to add, 1 to %d", maxExtensionDays)
	}
	if strings.TrimSpace(req.Reason) == "" {
		f["reason"] = "required: why more time is needed"
	}
	if len(f) > 0 {
		return httpapi.Invalid(f)
	}
	granted := 0
	if t.Extension != nil {
		granted = t.Extension.Granted
	}
	c.reason = clean(req.Reason)
	t.Extension = &Extension{Days: req.Days, Reason: c.reason, State: ExtensionRequested, RequestedBy: c.who,
		RequestedAt: c.now, Granted: granted}
	c.note = fmt.Sprintf("%d working days", req.Days)
	return nil
}

func pendingExtension(c *change) (*Extension, error) {
	if c.t.Extension == nil || c.t.Extension.State != ExtensionRequested {
		return nil, httpapi.Conflict("ticket %s has no extension request waiting for a decision", c.t.Code)
	}
	e := *c.t.Extension
	e.DecidedBy, e.DecidedAt = c.who, &c.now
	return &e, nil
}

func doGrantExtension(_ context.Context, c *change, req ActionRequest) error {
	e, err := pendingExtension(c)
	if err != nil {
		return err
	}
	days := e.Days
	if req.Days != 0 {
		if req.Days < 1 || req.Days > e.Days {
			return httpapi.Invalid(map[string]string{"days": fmt.Sprintf("1 to the %d working days requested", e.Days)})
		}
		days = req.Days
	}
	due := c.m.cal.AddWorkingDays(*c.t.DueAt, days)
	e.State, e.Granted = ExtensionGranted, e.Granted+days
	c.t.Extension, c.t.DueAt = e, &due
	c.reason = clean(req.Reason)
	c.note = fmt.Sprintf("%d working days granted", days)
	return nil
}

func doDenyExtension(_ context.Context, c *change, req ActionRequest) error {
	e, err := pendingExtension(c)
	if err != nil {
		return err
	}
	e.State = ExtensionDenied
	c.t.Extension, c.reason = e, clean(req.Reason)
	return nil
}

func doAnswer(_ context.Context, c *change, req ActionRequest) error {
	if err := required("text", req.Text, "the department's answer to the citizen"); err != nil {
		return err
	}
	c.t.Status, c.t.AnsweredAt = StatusAnswered, &c.now
	c.t.Answer = &Answer{Text: clean(req.Text), By: c.who, At: c.now}
	return nil
}

func doApprove(_ context.Context, c *change, _ ActionRequest) error {
	c.t.Status, c.t.ResolvedAt = StatusResolved, &c.now
	c.extra = resolvedNotices(c.t)
	return nil
}

func doSendBack(_ context.Context, c *change, req ActionRequest) error {
	if err := required("reason", req.Reason, "what the answer lacks"); err != nil {
		return err
	}
	c.reason = clean(req.Reason)
	c.t.Status, c.t.Reason = StatusInProgress, c.reason
	return nil
}

func doRate(_ context.Context, c *change, req ActionRequest) error {
	if req.Stars < 1 || req.Stars > 5 {
		return httpapi.Invalid(map[string]string{"stars": "a whole number from 1 to 5"})
	}
	if c.t.Rating != nil {
		return httpapi.Conflict("ticket %s was already rated %d", c.t.Code, c.t.Rating.Stars)
	}
	c.t.Rating = &Rating{Stars: req.Stars, Comment: clean(req.Comment), At: c.now}
	c.note = fmt.Sprintf("%d stars", req.Stars)
	return nil
}

func doReopen(ctx context.Context, c *change, req ActionRequest) error {
	if err := required("reason", req.Reason, "what the citizen is not satisfied with"); err != nil {
		return err
	}
	t := c.t
	c.reason = clean(req.Reason)
	t.Reason, t.ResolvedAt, t.ClosedAt, t.Rating = c.reason, nil, nil, nil
	t.DueSoon, t.Overdue = false, false
	if t.Department == "" {
		t.Status = StatusNew
	} else {
		t.Status = StatusInProgress
	}
	return c.m.setAnswerDeadline(ctx, t, c.now)
}

func doClose(_ context.Context, c *change, _ ActionRequest) error {
	c.t.Status, c.t.ClosedAt = StatusClosed, &c.now
	return nil
}

func doReject(_ context.Context, c *change, req ActionRequest) error {
	if err := required("reason", req.Reason, "why the report is rejected (spam, invalid, ...)"); err != nil {
		return err
	}
	c.reason = clean(req.Reason)
	c.t.Status, c.t.Reason, c.t.ClosedAt = StatusRejected, c.reason, &c.now
	return nil
}

func doComment(_ context.Context, c *change, req ActionRequest) error {
	if err := required("text", req.Text, "the comment"); err != nil {
		return err
	}
	c.t.Comments = append(c.t.Comments, Comment{Text: clean(req.Text), Public: req.Public, By: c.who, At: c.now})
	if req.Public {
		c.note = "public"
	} else {
		c.note = "internal"
	}
	return nil
}
