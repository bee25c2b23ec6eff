package decision

// EntryOf is d as the chain covers it (d read by staff, whose copy holds
// the audit part): tests forge entries with it.
func EntryOf(d Decision) Entry { return d.entry() }
