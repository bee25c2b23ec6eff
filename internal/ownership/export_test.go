package ownership

// SetAfterLock installs a hook that runs inside a write once it holds the
// property lock (tests only).
func SetAfterLock(s *Service, f func()) { s.afterLock = f }
