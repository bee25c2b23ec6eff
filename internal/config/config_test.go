package config

import (
	"errors"
	"log/slog"
	"testing"

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
