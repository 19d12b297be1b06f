package server

// JanitorRuns is how many purges this server ran as the janitor.
func (s *Server) JanitorRuns() int64 { return s.janitorRuns.Load() }
