package config

import (
	"errors"
	"log/slog"
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
