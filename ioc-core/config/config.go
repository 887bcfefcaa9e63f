// Package config holds ioc1022's one typed configuration and loads it in a fixed order:
// defaults, then an optional YAML file, then IOC1022_* environment variables, then flags.
//
// Every key has a path such as `pbx.listen`; its environment variable is the path in upper
// snake case with the IOC1022_ prefix (IOC1022_PBX_LISTEN). Unknown keys, in the file or the
// environment, are an error naming the key.
package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Config is the whole configuration of one ioc1022 node. Fields tagged secret:"true" are
// masked when printed.
type Config struct {
	HTTP    HTTP    `yaml:"http"`
	Data    Data    `yaml:"data"`
	MongoDB MongoDB `yaml:"mongodb"`
	Admin   Admin   `yaml:"admin"`
	Auth    Auth    `yaml:"auth"`
	Log     Log     `yaml:"log"`
	// Demo seeds the demo province, its users and the demo trunk. Unless set explicitly
	// (file, IOC1022_DEMO, --demo or --demo=false) it is on with the embedded store and off
	// with MONGODB_URI, so `go run ./cmd/ioc1022` has demo data and production does not.
	Demo         bool     `yaml:"demo"`
	DemoExplicit bool     `yaml:"-"`
	PBX          PBX      `yaml:"pbx"`
	Channels     Channels `yaml:"channels"`
	Tickets      Tickets  `yaml:"tickets"`
	IOC          IOC      `yaml:"ioc"`
}

// HTTP configures the JSON API, the console and the webhooks.
type HTTP struct {
	Listen          string        `yaml:"listen"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// PublicURL is where citizens and platforms reach this node (webhooks, links in messages).
	PublicURL string `yaml:"public_url"`
}

// Data configures where local files live: the embedded store and attachments.
type Data struct {
	Dir string `yaml:"dir"`
}

// MongoDB selects the store. With URI empty, the embedded FerretDB store starts under Data.Dir.
type MongoDB struct {
	URI      string `yaml:"uri" secret:"true"`
	Database string `yaml:"database"`
}

// Admin configures the first administrator account, created on an empty store.
type Admin struct {
	Password string `yaml:"password" secret:"true"`
}

// Auth configures tokens, password hashing and login throttling.
type Auth struct {
	TokenTTL          time.Duration `yaml:"token_ttl"`
	BcryptCost        int           `yaml:"bcrypt_cost"`
	LoginPerAccount   int           `yaml:"login_per_account"` // attempts a minute
	LoginPerIP        int           `yaml:"login_per_ip"`      // attempts a minute
	PublicLookupPerIP int           `yaml:"public_lookup_per_ip"`
}

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// PBX configures the SIP gateway.
type PBX struct {
	Listen string `yaml:"listen"`
	// ExternalIP is the address put in SDP and Contact when Listen's host is not reachable by
	// the phones (0.0.0.0, NAT); empty means Listen's host.
	ExternalIP string `yaml:"external_ip"`
	// Realm is the digest realm of agents' phones and trunks.
	Realm string `yaml:"realm"`
	// Dialplan names a YAML file of trunks, menus and queues; when empty they are kept in the
	// store and edited through the API.
	Dialplan string `yaml:"dialplan"`
	// MaxCalls caps concurrent calls; more get 503.
	MaxCalls int `yaml:"max_calls"`
	// RatePerSource is the SIP requests a second accepted from one address (burst twice that).
	RatePerSource int `yaml:"rate_per_source"`
	// WrapUp is an agent's after-call work time before the next call.
	WrapUp time.Duration `yaml:"wrap_up"`
	// MaxMissedRings pauses an agent who missed that many rings in a row.
	MaxMissedRings int `yaml:"max_missed_rings"`
	// RecordingRetention is how long call recordings and voicemails are kept.
	RecordingRetention time.Duration `yaml:"recording_retention"`
	// AnswerAfter is how long a trunk's call rings (180 Ringing) before the IVR answers; a
	// CANCEL within it abandons the call before answer.
	AnswerAfter time.Duration `yaml:"answer_after"`
	// TLSListen, when set, also serves SIP over TLS on that address, with the PEM certificate
	// chain TLSCert and its key TLSKey.
	TLSListen string `yaml:"tls_listen"`
	TLSCert   string `yaml:"tls_cert"`
	TLSKey    string `yaml:"tls_key"`
}

// Channels configures the citizens' messaging channels. A channel whose secrets are unset is off.
type Channels struct {
	AllowedOrigins []string `yaml:"allowed_origins"`
	WidgetSecret   string   `yaml:"widget_secret" secret:"true"`
	// AppTokenSecret signs the tokens the mobile app's backend issues to its logged-in users.
	AppTokenSecret string `yaml:"app_token_secret" secret:"true"`
	// MaxOpenPerAgent caps the open conversations routed to one agent.
	MaxOpenPerAgent int `yaml:"max_open_per_agent"`
	// Fallback is the ladder tried when a notice cannot go through the ticket's own channel:
	// any of linked (another channel of the contact), email, callback (a task for an agent).
	Fallback []string `yaml:"fallback"`
	Zalo     Zalo     `yaml:"zalo"`
	Facebook Facebook `yaml:"facebook"`
	Telegram Telegram `yaml:"telegram"`
	Email    Email    `yaml:"email"`
}

// Zalo configures the Zalo Official Account connector.
type Zalo struct {
	AppID        string `yaml:"app_id"`
	OASecretKey  string `yaml:"oa_secret_key" secret:"true"`
	AppSecretKey string `yaml:"app_secret_key" secret:"true"`
	AccessToken  string `yaml:"access_token" secret:"true"`
	RefreshToken string `yaml:"refresh_token" secret:"true"`
	APIBaseURL   string `yaml:"api_base_url"`
	OAuthBaseURL string `yaml:"oauth_base_url"`
}

// Facebook configures the Messenger connector.
type Facebook struct {
	AppSecret   string `yaml:"app_secret" secret:"true"`
	VerifyToken string `yaml:"verify_token" secret:"true"`
	PageToken   string `yaml:"page_token" secret:"true"`
	PageID      string `yaml:"page_id"`
	GraphURL    string `yaml:"graph_url"`
}

// Telegram configures the Telegram bot used by citizens and officers.
type Telegram struct {
	Token       string `yaml:"token" secret:"true"`
	SecretToken string `yaml:"secret_token" secret:"true"`
	APIURL      string `yaml:"api_url"`
}

// Email configures the IMAP mailbox and the SMTP relay.
type Email struct {
	IMAPAddr     string        `yaml:"imap_addr"`
	IMAPUser     string        `yaml:"imap_user"`
	IMAPPassword string        `yaml:"imap_password" secret:"true"`
	SMTPAddr     string        `yaml:"smtp_addr"`
	SMTPUser     string        `yaml:"smtp_user"`
	SMTPPassword string        `yaml:"smtp_password" secret:"true"`
	From         string        `yaml:"from"`
	PollInterval time.Duration `yaml:"poll_interval"`
}

// Tickets configures the ticket engine.
type Tickets struct {
	CodePrefix     string        `yaml:"code_prefix"`
	SweepInterval  time.Duration `yaml:"sweep_interval"`
	DueSoonHours   int           `yaml:"due_soon_hours"`
	MaxAttachBytes int64         `yaml:"max_attachment_bytes"`
	// PauseOn are the actions that stop a ticket's deadline clock until the citizen replies
	// (resume): request_info, or none.
	PauseOn []string `yaml:"pause_on"`
}

// IOC configures the monitoring modules of the operations centre: KPIs, alerts, live
// streams, outgoing webhooks, the officers' Telegram bot and the reports.
type IOC struct {
	KPI      KPI         `yaml:"kpi"`
	Alerts   Alerts      `yaml:"alerts"`
	Streams  Streams     `yaml:"streams"`
	Webhooks Webhooks    `yaml:"webhooks"`
	Telegram IOCTelegram `yaml:"telegram"`
	Reports  Reports     `yaml:"reports"`
	Social   Social      `yaml:"social"`
	Sensors  Sensors     `yaml:"sensors"`
	Map      Map         `yaml:"map"`
}

// Sensors configures the environment sensor sector (docs/sectors.md): readings arrive by
// HTTP push and, when MQTT.URL is set, from an MQTT broker.
type Sensors struct {
	MQTT SensorsMQTT `yaml:"mqtt"`
}

// SensorsMQTT configures the MQTT subscriber of the sensor sector. Without URL it is off.
type SensorsMQTT struct {
	URL      string   `yaml:"url"`    // mqtt://host:1883 or mqtts://host:8883
	Topics   []string `yaml:"topics"` // topic filters subscribed to (+ and # wildcards)
	QoS      int      `yaml:"qos"`    // 0, 1 or 2
	ClientID string   `yaml:"client_id"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password" secret:"true"`
	// TopicPattern names topic levels: "sensors/{station}/{pollutant}" takes the station and
	// pollutant from the topic when the payload does not carry them.
	TopicPattern string `yaml:"topic_pattern"`
	// The payload's fields (dotted paths) of a reading.
	StationField   string `yaml:"station_field"`
	PollutantField string `yaml:"pollutant_field"`
	ValueField     string `yaml:"value_field"`
	TimeField      string `yaml:"time_field"`
}

// Map configures the GeoJSON map views (docs/sectors.md).
type Map struct {
	// WardsGeoJSON is a GeoJSON FeatureCollection of ward and commune boundaries; empty
	// means the units' centroids are drawn as points.
	WardsGeoJSON string `yaml:"wards_geojson"`
	// CodeProperty is the feature property holding the unit code.
	CodeProperty string `yaml:"code_property"`
}

// Social configures social listening (docs/social.md): polling of RSS/Atom feeds and
// Facebook pages, the signed ingest endpoint, deduplication and topics.
type Social struct {
	PollInterval     time.Duration `yaml:"poll_interval"`      // default interval between polls of one source
	HostSpacing      time.Duration `yaml:"host_spacing"`       // minimum gap between two requests to one host
	UserAgent        string        `yaml:"user_agent"`         // sent with every poll
	FacebookGraphURL string        `yaml:"facebook_graph_url"` // Graph API base URL, with its version
	FacebookToken    string        `yaml:"facebook_token" secret:"true"`
	IngestSecret     string        `yaml:"ingest_secret" secret:"true"` // when set, ingest bodies must carry its HMAC
	NearDuplicate    int           `yaml:"near_duplicate"`              // max Hamming distance of SimHashes for a near duplicate
	TopicSimilarity  float64       `yaml:"topic_similarity"`            // cosine similarity to join a topic
}

// KPI configures the KPI projections (definitions in docs/kpi.md).
type KPI struct {
	ServiceLevelSeconds int           `yaml:"service_level_seconds"` // T of service level X/T
	ShortAbandonSeconds int           `yaml:"short_abandon_seconds"` // abandons under this are counted apart
	FineRetention       time.Duration `yaml:"fine_retention"`        // how long 15-minute buckets are kept
	SnapshotInterval    time.Duration `yaml:"snapshot_interval"`
}

// Alerts configures the alert engine.
type Alerts struct {
	EvalInterval time.Duration `yaml:"eval_interval"`
	SeedDefaults bool          `yaml:"seed_defaults"` // create the default rules on an empty rule set
}

// Streams configures the live dashboard streams.
type Streams struct {
	BufferSize     int      `yaml:"buffer_size"` // messages queued per subscriber before it is dropped
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Webhooks configures outgoing webhooks.
type Webhooks struct {
	MaxAttempts  int           `yaml:"max_attempts"`  // per delivery
	BaseBackoff  time.Duration `yaml:"base_backoff"`  // doubled after each failed attempt
	DisableAfter int           `yaml:"disable_after"` // consecutive failed deliveries
	Timeout      time.Duration `yaml:"timeout"`       // per attempt
	PollInterval time.Duration `yaml:"poll_interval"` // how often due retries are looked for
}

// IOCTelegram configures the officers' and leaders' Telegram bot, a bot of its own so that
// it never competes with the citizens' bot for updates. Without a token it is off.
type IOCTelegram struct {
	Token   string        `yaml:"token" secret:"true"`
	APIURL  string        `yaml:"api_url"`
	CodeTTL time.Duration `yaml:"code_ttl"` // lifetime of a one-time link code
	// WebhookURL is the public HTTPS URL Telegram posts updates to (this node's
	// /api/v1/telegram/webhook); empty means long polling. It needs SecretToken.
	WebhookURL  string `yaml:"webhook_url"`
	SecretToken string `yaml:"secret_token" secret:"true"` // 1-256 of A-Z a-z 0-9 _ -
	// LeaderChats are the chat ids of the leaders' groups that receive every alert.
	LeaderChats []int64 `yaml:"leader_chats"`
}

// Reports configures the scheduled reports and where they are e-mailed.
type Reports struct {
	Recipients []string `yaml:"recipients"`
	Daily      bool     `yaml:"daily"`
	Weekly     bool     `yaml:"weekly"`
	Monthly    bool     `yaml:"monthly"`
	Hour       int      `yaml:"hour"`   // local hour at which scheduled reports are sent
	Format     string   `yaml:"format"` // xlsx or csv
	// The SMTP relay reports are sent through; when SMTPAddr is empty, channels.email's.
	SMTPAddr     string `yaml:"smtp_addr"`
	SMTPUser     string `yaml:"smtp_user"`
	SMTPPassword string `yaml:"smtp_password" secret:"true"`
	From         string `yaml:"from"`
}

// Default returns the configuration used when nothing else is given.
func Default() Config {
	return Config{
		HTTP:    HTTP{Listen: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, ShutdownTimeout: 10 * time.Second},
		Data:    Data{Dir: "./data"},
		MongoDB: MongoDB{Database: "ioc1022"},
		Auth: Auth{TokenTTL: 12 * time.Hour, BcryptCost: 10, LoginPerAccount: 5, LoginPerIP: 30,
			PublicLookupPerIP: 10},
		Log: Log{Level: "info", Format: "text"},
		PBX: PBX{Listen: "127.0.0.1:5060", Realm: "ioc1022", MaxCalls: 3000, RatePerSource: 50,
			WrapUp: 15 * time.Second, MaxMissedRings: 3, RecordingRetention: 90 * 24 * time.Hour,
			AnswerAfter: 500 * time.Millisecond},
		Channels: Channels{
			Zalo:            Zalo{APIBaseURL: "https://openapi.zalo.me", OAuthBaseURL: "https://oauth.zaloapp.com"},
			Facebook:        Facebook{GraphURL: "https://graph.facebook.com/v25.0"},
			Telegram:        Telegram{APIURL: "https://api.telegram.org"},
			Email:           Email{PollInterval: time.Minute},
			MaxOpenPerAgent: 5, Fallback: []string{"linked", "email", "callback"},
		},
		Tickets: Tickets{CodePrefix: "PA", SweepInterval: 30 * time.Second, DueSoonHours: 8,
			MaxAttachBytes: 10 << 20, PauseOn: []string{"request_info"}},
		IOC: IOC{
			KPI: KPI{ServiceLevelSeconds: 20, ShortAbandonSeconds: 5, FineRetention: 62 * 24 * time.Hour,
				SnapshotInterval: 5 * time.Minute},
			Alerts:   Alerts{EvalInterval: 30 * time.Second, SeedDefaults: true},
			Streams:  Streams{BufferSize: 64},
			Webhooks: Webhooks{MaxAttempts: 8, BaseBackoff: 10 * time.Second, DisableAfter: 5, Timeout: 10 * time.Second, PollInterval: time.Second},
			Telegram: IOCTelegram{APIURL: "https://api.telegram.org", CodeTTL: 15 * time.Minute},
			Reports:  Reports{Hour: 7, Format: "xlsx"},
			Social: Social{PollInterval: 10 * time.Minute, HostSpacing: 2 * time.Second, UserAgent: "ioc1022-social/1.0",
				FacebookGraphURL: "https://graph.facebook.com/v25.0", NearDuplicate: 3, TopicSimilarity: 0.3},
			Sensors: Sensors{MQTT: SensorsMQTT{Topics: []string{"ioc1022/sensors/#"}, QoS: 1, ClientID: "ioc1022-sensors",
				StationField: "station", PollutantField: "pollutant", ValueField: "value", TimeField: "at"}},
			Map: Map{CodeProperty: "code"},
		},
	}
}

// Validate reports every problem of the configuration at once. It runs before anything dials out.
func (c *Config) Validate() error {
	var errs []error
	checkAddr := func(key, v string) {
		if _, _, err := net.SplitHostPort(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", key, v))
		}
	}
	checkAddr("http.listen", c.HTTP.Listen)
	checkAddr("pbx.listen", c.PBX.Listen)
	if c.PBX.MaxCalls < 1 || c.PBX.RatePerSource < 1 || c.PBX.MaxMissedRings < 1 {
		errs = append(errs, errors.New("pbx: max_calls, rate_per_source and max_missed_rings must be at least 1"))
	}
	if c.PBX.WrapUp < 0 || c.PBX.RecordingRetention < time.Hour {
		errs = append(errs, errors.New("pbx: wrap_up must not be negative and recording_retention must be at least 1h"))
	}
	if c.PBX.AnswerAfter < 0 || c.PBX.AnswerAfter > 30*time.Second {
		errs = append(errs, errors.New("pbx.answer_after: must be between 0 and 30s"))
	}
	if c.PBX.TLSListen != "" {
		checkAddr("pbx.tls_listen", c.PBX.TLSListen)
		if c.PBX.TLSCert == "" || c.PBX.TLSKey == "" {
			errs = append(errs, errors.New("pbx.tls_listen: needs pbx.tls_cert and pbx.tls_key"))
		}
	}
	if strings.TrimSpace(c.Data.Dir) == "" {
		errs = append(errs, errors.New("data.dir: must not be empty"))
	}
	if c.MongoDB.Database == "" {
		errs = append(errs, errors.New("mongodb.database: must not be empty"))
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("http.max_body_bytes: must be at least 1024"))
	}
	if c.Auth.TokenTTL < time.Minute {
		errs = append(errs, errors.New("auth.token_ttl: must be at least 1m"))
	}
	if c.Auth.BcryptCost < 4 || c.Auth.BcryptCost > 31 {
		errs = append(errs, errors.New("auth.bcrypt_cost: must be between 4 and 31"))
	}
	if c.Auth.LoginPerAccount < 1 || c.Auth.LoginPerIP < 1 || c.Auth.PublicLookupPerIP < 1 {
		errs = append(errs, errors.New("auth: login and lookup limits must be at least 1"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format: %q is not text or json", c.Log.Format))
	}
	if c.Tickets.CodePrefix == "" || len(c.Tickets.CodePrefix) > 4 {
		errs = append(errs, errors.New("tickets.code_prefix: must be 1 to 4 letters"))
	}
	if c.Tickets.SweepInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("tickets.sweep_interval: must be at least 10ms"))
	}
	for _, a := range c.Tickets.PauseOn {
		if a != "request_info" {
			errs = append(errs, fmt.Errorf("tickets.pause_on: %q cannot pause the clock; only request_info can", a))
		}
	}
	errs = append(errs, c.IOC.validate()...)
	return errors.Join(errs...)
}

func (c *IOC) validate() []error {
	var errs []error
	if c.KPI.ServiceLevelSeconds < 1 {
		errs = append(errs, errors.New("ioc.kpi.service_level_seconds: must be at least 1"))
	}
	if c.KPI.ShortAbandonSeconds < 0 {
		errs = append(errs, errors.New("ioc.kpi.short_abandon_seconds: must not be negative"))
	}
	if c.KPI.FineRetention < 24*time.Hour {
		errs = append(errs, errors.New("ioc.kpi.fine_retention: must be at least 24h"))
	}
	if c.KPI.SnapshotInterval < time.Second {
		errs = append(errs, errors.New("ioc.kpi.snapshot_interval: must be at least 1s"))
	}
	if c.Alerts.EvalInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("ioc.alerts.eval_interval: must be at least 10ms"))
	}
	if c.Streams.BufferSize < 1 {
		errs = append(errs, errors.New("ioc.streams.buffer_size: must be at least 1"))
	}
	if c.Webhooks.MaxAttempts < 1 || c.Webhooks.DisableAfter < 1 {
		errs = append(errs, errors.New("ioc.webhooks: max_attempts and disable_after must be at least 1"))
	}
	if c.Webhooks.Timeout <= 0 || c.Webhooks.BaseBackoff <= 0 || c.Webhooks.PollInterval <= 0 {
		errs = append(errs, errors.New("ioc.webhooks: timeout, base_backoff and poll_interval must be positive"))
	}
	if c.Reports.Hour < 0 || c.Reports.Hour > 23 {
		errs = append(errs, errors.New("ioc.reports.hour: must be 0 to 23"))
	}
	if c.Social.PollInterval < time.Second || c.Social.HostSpacing < 0 {
		errs = append(errs, errors.New("ioc.social: poll_interval must be at least 1s and host_spacing not negative"))
	}
	if c.Social.NearDuplicate < 0 || c.Social.NearDuplicate > 32 || c.Social.TopicSimilarity <= 0 || c.Social.TopicSimilarity > 1 {
		errs = append(errs, errors.New("ioc.social: near_duplicate must be 0 to 32 and topic_similarity in (0, 1]"))
	}
	if m := c.Sensors.MQTT; m.URL != "" {
		if !strings.HasPrefix(m.URL, "mqtt://") && !strings.HasPrefix(m.URL, "mqtts://") && !strings.HasPrefix(m.URL, "tcp://") && !strings.HasPrefix(m.URL, "tls://") {
			errs = append(errs, fmt.Errorf("ioc.sensors.mqtt.url: %q is not mqtt://host:port or mqtts://host:port", m.URL))
		}
		if len(m.Topics) == 0 || m.QoS < 0 || m.QoS > 2 || m.ClientID == "" {
			errs = append(errs, errors.New("ioc.sensors.mqtt: topics and client_id are required with url, qos is 0, 1 or 2"))
		}
	}
	if c.Map.CodeProperty == "" {
		errs = append(errs, errors.New("ioc.map.code_property: must not be empty"))
	}
	if c.Telegram.WebhookURL != "" && !validSecretToken(c.Telegram.SecretToken) {
		errs = append(errs, errors.New("ioc.telegram.secret_token: required with webhook_url, 1 to 256 of A-Z a-z 0-9 _ -"))
	}
	if c.Reports.Format != "xlsx" && c.Reports.Format != "csv" {
		errs = append(errs, fmt.Errorf("ioc.reports.format: %q is not xlsx or csv", c.Reports.Format))
	}
	return errs
}

// validSecretToken reports whether s is a Telegram webhook secret token.
func validSecretToken(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
