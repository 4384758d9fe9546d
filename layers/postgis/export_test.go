package postgis

import "time"

// SetVersionExpiry changes how long s answers about plan versions from
// memory (VersionExpiry); call it while s is not in use.
func SetVersionExpiry(s *Store, ttl time.Duration) { s.versions.ttl = ttl }
