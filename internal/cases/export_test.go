package cases

// SetAfterApply installs the crash-window hook (tests only).
func SetAfterApply(s *Service, f func()) { s.afterApply = f }
