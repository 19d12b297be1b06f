package credstore

import "sync"

// Memory is a Store that lives in the process's memory. Its zero value is ready
// to use; NewMemory is there for symmetry with the other backends.
type Memory struct {
	mu   sync.Mutex
	recs map[Key]Record
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// Load implements Store.
func (m *Memory) Load(key Key) (Record, error) {
	if err := key.Validate(); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recs[key].Clone(), nil
}

// Save implements Store.
func (m *Memory) Save(key Key, rec Record) error {
	if err := key.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec.IsZero() {
		delete(m.recs, key)
		return nil
	}
	if m.recs == nil {
		m.recs = make(map[Key]Record)
	}
	m.recs[key] = rec.Clone()
	return nil
}
