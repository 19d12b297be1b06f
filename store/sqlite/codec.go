package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/store"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap adds the operation to err and maps driver errors to the store's
// sentinels: no row is store.ErrNotFound, a primary-key or unique violation is
// store.ErrConflict, and a foreign-key violation (the pool, client or user
// referenced does not exist) is store.ErrNotFound. SQLite's constraint
// messages name columns, never values, so no secret leaks into the error.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// ms encodes a time as Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// msTime is a sql.Scanner decoding what ms encodes, in UTC.
type msTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (m msTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m.t = time.Time{}
	case int64:
		*m.t = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want integer", src)
	}
	return nil
}

// notNullBlob turns a nil slice into an empty one for NOT NULL BLOB columns.
func notNullBlob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// encodeAttrs encodes user attributes as a JSON object. Strings that are not
// valid UTF-8 are coerced by encoding/json (invalid bytes become U+FFFD).
func encodeAttrs(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode attributes: %w", err)
	}
	return string(b), nil
}

// attrsCol is a sql.Scanner decoding what encodeAttrs encodes. The map it
// yields is never nil.
type attrsCol struct{ m *map[string]string }

// Scan implements sql.Scanner.
func (a attrsCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("attributes column holds %T, want text", src)
	}
	m := map[string]string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("decode attributes: %w", err)
		}
	}
	*a.m = m
	return nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// durationMs is a sql.Scanner of a duration kept in milliseconds.
type durationMs struct{ d *time.Duration }

// Scan implements sql.Scanner.
func (m durationMs) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*m.d = time.Duration(v) * time.Millisecond
	case nil:
		*m.d = 0
	default:
		return fmt.Errorf("duration column holds %T, want an integer", src)
	}
	return nil
}
