// Package refdata keeps the reference data every module routes and reports by: departments
// (sở, ban, ngành, commune/ward people's committees, public utilities), administrative units on
// the two-level model in force since 1 July 2025 (province, then commune or ward), and ticket
// categories (lĩnh vực). They are data, edited through the API, never code.
package refdata

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DepartmentKind says what sort of body a department is.
type DepartmentKind string

// The kinds of department.
const (
	KindAgency    DepartmentKind = "agency"            // sở, ban, ngành
	KindCommittee DepartmentKind = "commune_committee" // UBND xã/phường
	KindUtility   DepartmentKind = "utility"           // power, water, ...
)

// Contacts are where a department is told about its tickets.
type Contacts struct {
	Email        string `bson:"email,omitempty" json:"email,omitempty"`
	Phone        string `bson:"phone,omitempty" json:"phone,omitempty"`
	TelegramChat string `bson:"telegram_chat,omitempty" json:"telegram_chat,omitempty"`
}

// Department is a body that answers tickets.
type Department struct {
	Code      string         `bson:"_id" json:"code"`
	Name      string         `bson:"name" json:"name"`
	Kind      DepartmentKind `bson:"kind" json:"kind"`
	Unit      string         `bson:"unit,omitempty" json:"unit,omitempty"` // the ward or commune a committee governs
	Contacts  Contacts       `bson:"contacts" json:"contacts"`
	Active    bool           `bson:"active" json:"active"`
	Demo      bool           `bson:"demo,omitempty" json:"demo,omitempty"`
	UpdatedAt time.Time      `bson:"updated_at" json:"updated_at"`
	Version   int64          `bson:"version" json:"version"`
}

// Level is the tier of an administrative unit.
type Level string

// The levels of the two-tier model.
const (
	LevelProvince Level = "province"
	LevelCommune  Level = "commune"
	LevelWard     Level = "ward"
)

// LatLng is a WGS 84 point.
type LatLng struct {
	Lat float64 `bson:"lat" json:"lat"`
	Lng float64 `bson:"lng" json:"lng"`
}

// Unit is an administrative unit: a province, or a commune or ward of one.
type Unit struct {
	Code      string     `bson:"_id" json:"code"`
	Name      string     `bson:"name" json:"name"`
	Level     Level      `bson:"level" json:"level"`
	Parent    string     `bson:"parent,omitempty" json:"parent,omitempty"`
	ValidFrom time.Time  `bson:"valid_from" json:"valid_from"`
	ValidTo   *time.Time `bson:"valid_to,omitempty" json:"valid_to,omitempty"`
	Aliases   []string   `bson:"aliases,omitempty" json:"aliases,omitempty"` // old names citizens still use
	Centroid  *LatLng    `bson:"centroid,omitempty" json:"centroid,omitempty"`
	Demo      bool       `bson:"demo,omitempty" json:"demo,omitempty"`
	UpdatedAt time.Time  `bson:"updated_at" json:"updated_at"`
	Version   int64      `bson:"version" json:"version"`
}

// Category is a field (lĩnh vực) of tickets with its routing default and legal deadlines.
type Category struct {
	Code              string `bson:"_id" json:"code"`
	Name              string `bson:"name" json:"name"`
	Description       string `bson:"description,omitempty" json:"description,omitempty"`
	DefaultDepartment string `bson:"default_department,omitempty" json:"default_department,omitempty"`
	// Local categories go to the people's committee of the ticket's ward when no rule matches.
	Local       bool      `bson:"local" json:"local"`
	AcceptHours int       `bson:"accept_hours" json:"accept_hours"` // working hours to accept
	AnswerDays  int       `bson:"answer_days" json:"answer_days"`   // working days to answer
	Active      bool      `bson:"active" json:"active"`
	UpdatedAt   time.Time `bson:"updated_at" json:"updated_at"`
	Version     int64     `bson:"version" json:"version"`
}

// Collections of this package.
const (
	DepartmentsCollection = "departments"
	UnitsCollection       = "units"
	CategoriesCollection  = "categories"
)

// Service reads and edits reference data.
type Service struct {
	st *store.Store
}

// New returns the service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Init creates the indexes.
func (s *Service) Init(ctx context.Context) error {
	return s.st.EnsureIndexes(ctx, UnitsCollection, store.Index("parent"), store.Index("level"))
}

// Department returns one department.
func (s *Service) Department(ctx context.Context, code string) (*Department, error) {
	return findOne[Department](ctx, s.st, DepartmentsCollection, code)
}

// Unit returns one administrative unit.
func (s *Service) Unit(ctx context.Context, code string) (*Unit, error) {
	return findOne[Unit](ctx, s.st, UnitsCollection, code)
}

// Category returns one category.
func (s *Service) Category(ctx context.Context, code string) (*Category, error) {
	return findOne[Category](ctx, s.st, CategoriesCollection, code)
}

// Departments lists every department.
func (s *Service) Departments(ctx context.Context) ([]Department, error) {
	return findAll[Department](ctx, s.st, DepartmentsCollection, bson.M{})
}

// Units lists the units, optionally of one level or parent.
func (s *Service) Units(ctx context.Context, level, parent string) ([]Unit, error) {
	f := bson.M{}
	if level != "" {
		f["level"] = level
	}
	if parent != "" {
		f["parent"] = parent
	}
	return findAll[Unit](ctx, s.st, UnitsCollection, f)
}

// Categories lists every category.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	return findAll[Category](ctx, s.st, CategoriesCollection, bson.M{})
}

// CommitteeOf returns the people's committee governing a ward or commune, if there is one.
func (s *Service) CommitteeOf(ctx context.Context, unit string) (*Department, error) {
	var d Department
	err := s.st.C(DepartmentsCollection).FindOne(ctx, bson.M{"kind": KindCommittee, "unit": unit, "active": true}).Decode(&d)
	if store.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("committee of %s: %w", unit, err)
	}
	return &d, nil
}

// ErrNotFound is returned for a code that names nothing.
var ErrNotFound = fmt.Errorf("not found")

func findOne[T any](ctx context.Context, st *store.Store, coll, code string) (*T, error) {
	var v T
	err := st.C(coll).FindOne(ctx, bson.M{"_id": code}).Decode(&v)
	if store.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", coll, code, err)
	}
	return &v, nil
}

func findAll[T any](ctx context.Context, st *store.Store, coll string, f bson.M) ([]T, error) {
	cur, err := st.C(coll).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", coll, err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list %s: %w", coll, err)
	}
	return out, nil
}

func validCode(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	return strings.IndexFunc(c, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0
}

// validate returns the field errors of an item, or nil.
func (d *Department) validate() map[string]string {
	f := map[string]string{}
	if !validCode(d.Code) {
		f["code"] = "1 to 40 letters, digits, dashes, dots or underscores"
	}
	if strings.TrimSpace(d.Name) == "" {
		f["name"] = "required"
	}
	switch d.Kind {
	case KindAgency, KindUtility:
	case KindCommittee:
		if d.Unit == "" {
			f["unit"] = "a people's committee names the ward or commune it governs"
		}
	default:
		f["kind"] = "one of agency, commune_committee, utility"
	}
	return f
}

func (u *Unit) validate() map[string]string {
	f := map[string]string{}
	if !validCode(u.Code) {
		f["code"] = "the official code: letters and digits"
	}
	if strings.TrimSpace(u.Name) == "" {
		f["name"] = "required"
	}
	switch u.Level {
	case LevelProvince:
	case LevelCommune, LevelWard:
		if u.Parent == "" {
			f["parent"] = "a commune or ward names its province"
		}
	default:
		f["level"] = "one of province, commune, ward"
	}
	if u.ValidTo != nil && u.ValidTo.Before(u.ValidFrom) {
		f["valid_to"] = "must be after valid_from"
	}
	if u.Centroid != nil && (u.Centroid.Lat < -90 || u.Centroid.Lat > 90 || u.Centroid.Lng < -180 || u.Centroid.Lng > 180) {
		f["centroid"] = "lat in -90..90, lng in -180..180"
	}
	return f
}

func (c *Category) validate() map[string]string {
	f := map[string]string{}
	if !validCode(c.Code) {
		f["code"] = "letters, digits and underscores"
	}
	if strings.TrimSpace(c.Name) == "" {
		f["name"] = "required"
	}
	if c.AcceptHours < 1 {
		f["accept_hours"] = "at least 1 working hour"
	}
	if c.AnswerDays < 1 {
		f["answer_days"] = "at least 1 working day"
	}
	return f
}

var _ = httpapi.Invalid
