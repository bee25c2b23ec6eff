package config

import (
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
)

func TestLogLevel(t *testing.T) {
	v := NewViper()
	c, err := Load(v)
	if err != nil || c.Log.Level != nil {
		t.Fatalf("unset: %v %v", c.Log.Level, err)
	}
	v.Set("log.level", "DEBUG")
	if c, err = Load(v); err != nil || c.Log.Level == nil || *c.Log.Level != slog.LevelDebug {
		t.Fatalf("debug: %v %v", c, err)
	}
	v.Set("log.level", "loud")
	_, err = Load(v)
	var e *apperr.Error
	if apperr.CodeOf(err) != apperr.Validation || !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "log.level" {
		t.Fatalf("loud: %v", err)
	}
}

func TestSLATargets(t *testing.T) {
	v := NewViper()
	c, err := Load(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SLA["URGENT"]; got.Response != 4*time.Hour || got.Resolution != 72*time.Hour || len(c.SLA) != 5 {
		t.Fatalf("defaults: %+v", c.SLA)
	}
	v.Set("sla.urgent.response", "2h")
	if c, err = Load(v); err != nil || c.SLA["URGENT"].Response != 2*time.Hour {
		t.Fatalf("set: %+v %v", c.SLA["URGENT"], err)
	}
	for key, bad := range map[string]string{"sla.low.response": "soon", "sla.high.resolution": "1500ms", "sla.normal.response": "0s", "sla.emergency.response": "25h"} {
		v := NewViper()
		v.Set(key, bad)
		_, err := Load(v)
		var e *apperr.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != key {
			t.Errorf("%s=%s: %v", key, bad, err)
		}
	}
}

func TestServer(t *testing.T) {
	v := NewViper()
	v.Set("server", "https://hestami.example.com/")
	c, err := Load(v)
	if err != nil || c.Server != "https://hestami.example.com" {
		t.Fatalf("%q %v", c.Server, err)
	}
	for _, bad := range []string{"hestami.example.com", "ftp://x", "http://", "::"} {
		v := NewViper()
		v.Set("server", bad)
		_, err := Load(v)
		var e *apperr.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "server" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestSetInFile(t *testing.T) {
	path := t.TempDir() + "/hestami/config.yaml"
	if err := SetInFile(path, "org", "a"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("new file mode %v", st.Mode())
	}
	if err := os.WriteFile(path, []byte("# mine\nlog:\n  level: warn\norg: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := SetInFile(path, "org", "b"); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if got := string(raw); got != "# mine\nlog:\n  level: warn\norg: b\n" {
		t.Fatalf("%q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode())
	}
	if err := os.WriteFile(path, []byte("- a list\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SetInFile(path, "org", "b"); err == nil {
		t.Fatal("a list taken for a mapping")
	}
}
