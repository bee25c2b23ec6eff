// Package config resolves hestami's effective configuration with the
// precedence flags > HESTAMI_* environment > config file > defaults.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/hestami/concierge/internal/apperr"
)

// Config is the effective configuration of one hestami process.
type Config struct {
	DataDir   string
	File      string // the config file that was read, if any
	Database  Database
	Authz     Authz
	Workflow  Workflow
	Telemetry Telemetry
	Log       Log
	// SLA holds the case SLA targets by priority (upper case, as stored).
	SLA map[string]SLATarget
	// Documents configures the document content store and size limit.
	Documents Documents
	// Imports bounds the files of bulk imports (quote/v1/import).
	Imports Imports
	// Identity of the local CLI caller.
	Org   string
	As    string
	Token string
	// Server is the hestami server the CLI calls procedures on (remote
	// mode); empty: in this process, on the database and PDP above.
	Server string
}

// Database selects the PostgreSQL server. An empty URL means the embedded
// cluster managed by hestami inside DataDir.
type Database struct {
	URL    string // owner role: runs migrations
	AppURL string // runtime role: RLS applies; derived from URL when empty
}

// Authz selects the Cerbos PDP. An empty PDPAddress means hestami starts
// its own PDP from CerbosBinary.
type Authz struct {
	PDPAddress   string
	CerbosBinary string
	Timeout      time.Duration
	PlanCacheTTL time.Duration // 0: every list asks the PDP
}

// Documents selects where document content is stored: a directory (Store
// "dir", default <data_dir>/documents) or an S3-compatible bucket (Store
// "s3"), and the size limit of one document.
type Documents struct {
	Store    string
	Dir      string
	MaxBytes int64
	S3       S3
}

// Imports bounds a bulk import's file sent to the server: MaxBytes per
// file, apart from the documents' limit (a 1,000,000-row quote CSV is
// about 120 MB).
type Imports struct {
	MaxBytes int64
}

// S3 is an S3-compatible bucket.
type S3 struct {
	Endpoint, Bucket, Region, AccessKey, SecretKey string
	// Insecure talks plain HTTP to the endpoint (a local test server).
	Insecure bool
}

// Workflow configures DBOS.
type Workflow struct {
	// ExecutorID is the DBOS executor id of `hestami serve`. CLI commands
	// run as a fresh executor each (workflow.CLIExecutorID).
	ExecutorID string
}

// Telemetry configures OpenTelemetry; OTEL_EXPORTER_OTLP_ENDPOINT wins.
type Telemetry struct {
	Stdout bool
}

// Log configures hestami's own log on stderr.
type Log struct {
	// Level is the least severe level written; nil leaves it to the
	// command: info for serve, warn for the short-lived commands.
	Level *slog.Level
}

// SLATarget is one priority's case SLA: respond within Response, resolve
// within Resolution (counted on the case's clock, domain.md §4).
type SLATarget struct {
	Response   time.Duration
	Resolution time.Duration
}

// slaDefaults are the SLA targets by priority: response, resolution.
var slaDefaults = map[string][2]string{
	"emergency": {"1h", "24h"},
	"urgent":    {"4h", "72h"},
	"high":      {"8h", "120h"},
	"normal":    {"24h", "240h"},
	"low":       {"72h", "720h"},
}

func init() {
	for p, d := range slaDefaults {
		Keys["sla."+p+".response"] = d[0]
		Keys["sla."+p+".resolution"] = d[1]
	}
}

// Keys lists every configuration key with its default, so that `config show`
// and the environment binding cannot drift apart.
var Keys = map[string]any{
	"data_dir":                "",
	"database.url":            "",
	"database.app_url":        "",
	"authz.pdp_address":       "",
	"authz.cerbos_binary":     "",
	"authz.timeout":           "2s",
	"authz.plan_cache_ttl":    "10s",
	"workflow.executor_id":    "",
	"telemetry.stdout":        false,
	"log.level":               "",
	"org":                     "",
	"as":                      "",
	"token":                   "",
	"server":                  "",
	"documents.store":         "dir",
	"documents.dir":           "",
	"documents.max_bytes":     int64(50 << 20),
	"imports.max_bytes":       int64(2 << 30),
	"documents.s3.endpoint":   "",
	"documents.s3.bucket":     "",
	"documents.s3.region":     "",
	"documents.s3.access_key": "",
	"documents.s3.secret_key": "",
	"documents.s3.insecure":   false,
}

var secretKeys = map[string]bool{"token": true, "documents.s3.secret_key": true}

// NewViper returns a viper instance with defaults and HESTAMI_* environment
// binding. Flags are bound by the caller.
func NewViper() *viper.Viper {
	v := viper.New()
	for k, def := range Keys {
		v.SetDefault(k, def)
	}
	v.SetEnvPrefix("HESTAMI")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	return v
}

// ReadFile reads the config file: the explicit path, else
// $XDG_CONFIG_HOME/hestami/config.yaml when it exists.
func ReadFile(v *viper.Viper, explicit string) error {
	path := explicit
	if path == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil
		}
		path = filepath.Join(dir, "hestami", "config.yaml")
		if _, err := os.Stat(path); err != nil {
			return nil
		}
	}
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("reading config file %s: %w", path, err)
	}
	return nil
}

// Load turns viper state into a Config.
func Load(v *viper.Viper) (*Config, error) {
	timeout, err := time.ParseDuration(v.GetString("authz.timeout"))
	if err != nil || timeout <= 0 {
		return nil, invalid("authz.timeout", fmt.Sprintf("authz.timeout: %q is not a positive duration (e.g. 2s)", v.GetString("authz.timeout")))
	}
	planTTL, err := time.ParseDuration(v.GetString("authz.plan_cache_ttl"))
	if err != nil || planTTL < 0 {
		return nil, invalid("authz.plan_cache_ttl", fmt.Sprintf("authz.plan_cache_ttl: %q is not a duration ≥ 0 (e.g. 10s, or 0 to disable)", v.GetString("authz.plan_cache_ttl")))
	}
	var logLevel *slog.Level
	if raw := v.GetString("log.level"); raw != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(raw)); err != nil {
			return nil, invalid("log.level", fmt.Sprintf("log.level: %q is not one of debug, info, warn, error", raw))
		}
		logLevel = &l
	}
	sla, err := loadSLA(v)
	if err != nil {
		return nil, err
	}
	docs, err := loadDocuments(v)
	if err != nil {
		return nil, err
	}
	imports := Imports{MaxBytes: v.GetInt64("imports.max_bytes")}
	if imports.MaxBytes <= 0 {
		return nil, invalid("imports.max_bytes", fmt.Sprintf("imports.max_bytes: %q is not a positive number of bytes", v.GetString("imports.max_bytes")))
	}
	c := &Config{
		SLA:       sla,
		Documents: docs,
		Imports:   imports,
		DataDir:   v.GetString("data_dir"),
		File:      v.ConfigFileUsed(),
		Database: Database{
			URL:    v.GetString("database.url"),
			AppURL: v.GetString("database.app_url"),
		},
		Authz: Authz{
			PDPAddress:   v.GetString("authz.pdp_address"),
			CerbosBinary: v.GetString("authz.cerbos_binary"),
			Timeout:      timeout,
			PlanCacheTTL: planTTL,
		},
		Workflow:  Workflow{ExecutorID: v.GetString("workflow.executor_id")},
		Telemetry: Telemetry{Stdout: v.GetBool("telemetry.stdout")},
		Log:       Log{Level: logLevel},
		Org:       v.GetString("org"),
		As:        v.GetString("as"),
		Token:     v.GetString("token"),
		Server:    strings.TrimRight(v.GetString("server"), "/"),
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir()
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	c.DataDir = abs
	if c.Server != "" {
		if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, invalid("server", fmt.Sprintf("server: %q is not an http(s) URL (e.g. https://hestami.example.com)", c.Server))
		}
	}
	if c.Documents.Dir == "" {
		c.Documents.Dir = filepath.Join(c.DataDir, "documents")
	}
	if c.Workflow.ExecutorID == "" {
		// One stable id per server host, so a restarted `hestami serve`
		// recovers what it left pending; CLI processes never use it.
		host, _ := os.Hostname()
		c.Workflow.ExecutorID = "hestami-serve-" + host
	}
	return c, nil
}

// loadSLA reads sla.<priority>.response|resolution: whole seconds (the
// database compares in seconds), at least 1s, response no later than
// resolution.
func loadSLA(v *viper.Viper) (map[string]SLATarget, error) {
	out := map[string]SLATarget{}
	for p := range slaDefaults {
		var t [2]time.Duration
		for i, which := range []string{"response", "resolution"} {
			key := "sla." + p + "." + which
			d, err := time.ParseDuration(v.GetString(key))
			if err != nil || d < time.Second || d%time.Second != 0 {
				return nil, invalid(key, fmt.Sprintf("%s: %q is not a duration of whole seconds ≥ 1s (e.g. 4h)", key, v.GetString(key)))
			}
			t[i] = d
		}
		if t[0] > t[1] {
			key := "sla." + p + ".response"
			return nil, invalid(key, fmt.Sprintf("%s: %s is later than the resolution target %s", key, t[0], t[1]))
		}
		out[strings.ToUpper(p)] = SLATarget{Response: t[0], Resolution: t[1]}
	}
	return out, nil
}

// loadDocuments reads documents.*: a known store, a positive size limit,
// and for s3 an endpoint and a bucket.
func loadDocuments(v *viper.Viper) (Documents, error) {
	d := Documents{Store: v.GetString("documents.store"), Dir: v.GetString("documents.dir"), MaxBytes: v.GetInt64("documents.max_bytes"),
		S3: S3{Endpoint: v.GetString("documents.s3.endpoint"), Bucket: v.GetString("documents.s3.bucket"),
			Region: v.GetString("documents.s3.region"), AccessKey: v.GetString("documents.s3.access_key"),
			SecretKey: v.GetString("documents.s3.secret_key"), Insecure: v.GetBool("documents.s3.insecure")}}
	if d.MaxBytes <= 0 {
		return d, invalid("documents.max_bytes", fmt.Sprintf("documents.max_bytes: %q is not a positive number of bytes", v.GetString("documents.max_bytes")))
	}
	switch d.Store {
	case "dir":
	case "s3":
		if d.S3.Endpoint == "" || d.S3.Bucket == "" {
			return d, invalid("documents.s3.endpoint", "documents.store s3 needs documents.s3.endpoint and documents.s3.bucket")
		}
	default:
		return d, invalid("documents.store", fmt.Sprintf("documents.store: %q is not one of dir, s3", d.Store))
	}
	return d, nil
}

// invalid is a configuration error naming its key.
func invalid(key, msg string) error {
	return &apperr.Error{Code: apperr.Validation, Message: "invalid configuration", Fields: []apperr.FieldError{{Field: key, Code: "invalid", Message: msg}}}
}

// DefaultDataDir is $XDG_DATA_HOME/hestami; for root it is /var/lib/hestami,
// because the embedded PostgreSQL runs as the postgres OS user, which cannot
// traverse /root.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/hestami"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "hestami")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "hestami")
	}
	return filepath.Join(home, ".local", "share", "hestami")
}

// Setting is one line of `config show`.
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Effective lists every key with its effective value (secrets masked) and
// where the value came from.
func Effective(v *viper.Viper, c *Config, flagSet func(key string) bool) []Setting {
	keys := make([]string, 0, len(Keys))
	for k := range Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Setting, 0, len(keys))
	for _, k := range keys {
		val := v.GetString(k)
		switch k {
		case "data_dir":
			val = c.DataDir
		case "workflow.executor_id":
			val = c.Workflow.ExecutorID
		}
		src := "default"
		envName := "HESTAMI_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))
		switch {
		case flagSet != nil && flagSet(k):
			src = "flag"
		case os.Getenv(envName) != "":
			src = "env " + envName
		case v.InConfig(k):
			src = "file"
		}
		out = append(out, Setting{Key: k, Value: mask(k, val), Source: src})
	}
	return out
}

func mask(key, val string) string {
	if val == "" {
		return val
	}
	if secretKeys[key] {
		return "****"
	}
	if strings.HasSuffix(key, "url") {
		return MaskURL(val)
	}
	return val
}

// MaskURL hides the password of a connection URL.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "****")
	}
	return u.String()
}

// DefaultFile is the config file read when --config is not given:
// $XDG_CONFIG_HOME/hestami/config.yaml.
func DefaultFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hestami", "config.yaml"), nil
}

// SetInFile sets a top-level key of the YAML config file at path, creating
// the file if need be and keeping its other keys and comments.
func SetInFile(path, key, value string) error {
	var doc yaml.Node
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("reading config file %s: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s is not a mapping of keys", path)
	}
	found := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			root.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
			found = true
		}
	}
	if !found {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
	}
	var buf strings.Builder
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	out := []byte(buf.String())
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return os.WriteFile(path, out, mode)
}
