package factory

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zalando/go-keyring"
)

// keyringService names hestami's entries in the OS keyring; the account is
// the server URL, so a login to another server replaces nothing there.
const keyringService = "hestami"

// Storage says where a login keeps its token.
const (
	StorageKeyring = "keyring"
	StorageFile    = "file"
)

// Login is what `hestami auth login` stored: the server, who the token
// belongs to, and where the token is kept. The token itself is in the OS
// keyring when one is available, else in this 0600 file.
type Login struct {
	Server      string `json:"server"`
	UserID      string `json:"userId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Email       string `json:"email,omitempty"`
	Storage     string `json:"storage"`
	Token       string `json:"token,omitempty"`
}

// LoginPath is the file that records the login:
// $XDG_CONFIG_HOME/hestami/credentials.json.
func LoginPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hestami", "credentials.json"), nil
}

// LoadLogin returns the stored login with its token, or nil when nobody is
// logged in.
func LoadLogin() (*Login, error) {
	path, err := LoginPath()
	if err != nil {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l Login
	if err := json.Unmarshal(raw, &l); err != nil || l.Server == "" {
		return nil, fmt.Errorf("%s is not a hestami login (remove it, or run `hestami auth logout`)", path)
	}
	if l.Storage == StorageKeyring {
		tok, err := keyring.Get(keyringService, l.Server)
		if err != nil {
			return nil, fmt.Errorf("the token for %s is not readable in the OS keyring (run `hestami auth login` again): %w", l.Server, err)
		}
		l.Token = tok
	}
	return &l, nil
}

// SaveLogin stores l, its token in the OS keyring when one answers, else in
// the file (0600), and returns where the token went. useKeyring false skips
// the keyring (--insecure-storage).
func SaveLogin(l Login, useKeyring bool) (string, error) {
	path, err := LoginPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	// A previous login's keyring entry would outlive its record.
	if prev, _ := readRecord(path); prev != nil && prev.Storage == StorageKeyring {
		_ = keyring.Delete(keyringService, prev.Server)
	}
	l.Storage = StorageFile
	if useKeyring && keyring.Set(keyringService, l.Server, l.Token) == nil {
		l.Storage, l.Token = StorageKeyring, ""
	}
	raw, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return "", err
	}
	// Written to a private temporary file and renamed, so the token is never
	// in a file others can read, not even for a moment.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return l.Storage, os.Rename(tmp.Name(), path)
}

// DeleteLogin forgets the stored login (and its keyring entry) and returns
// the server it was for, "" when there was none.
func DeleteLogin() (string, error) {
	path, err := LoginPath()
	if err != nil {
		return "", nil
	}
	l, err := readRecord(path)
	if l == nil {
		return "", err
	}
	if l.Storage == StorageKeyring {
		if err := keyring.Delete(keyringService, l.Server); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return "", fmt.Errorf("removing the token from the OS keyring: %w", err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return l.Server, nil
}

// readRecord reads the login file without touching the keyring.
func readRecord(path string) (*Login, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var l Login
	if json.Unmarshal(raw, &l) != nil || l.Server == "" {
		// Unreadable: remove it all the same, there is no entry to clean.
		return &Login{Server: "(unreadable)"}, nil
	}
	return &l, nil
}
