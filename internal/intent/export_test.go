package intent

// SetAfterLock installs a hook that runs inside a mutation once it holds
// the intent row lock (tests only).
func SetAfterLock(s *Service, f func()) { s.afterLock = f }
