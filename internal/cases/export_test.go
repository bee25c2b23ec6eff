package cases

import "time"

// SetAfterApply installs the crash-window hook (tests only).
func SetAfterApply(s *Service, f func()) { s.afterApply = f }

// SetAfterLock installs a hook that runs inside the status transaction right
// after it locked the case, with the acting user's id (tests only).
func SetAfterLock(s *Service, f func(userID string)) { s.afterLock = f }

// SetNow fixes the instant reads compute SLA and queue views at (tests
// only).
func SetNow(s *Service, now func() time.Time) { s.now = now }
