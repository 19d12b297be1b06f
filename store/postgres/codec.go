package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// ms encodes a time as Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// msTime decodes what ms encodes, in UTC: a scan destination for a BIGINT
// time column (pgtype.Int64Scanner).
type msTime struct{ t *time.Time }

// ScanInt64 implements pgtype.Int64Scanner.
func (m msTime) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*m.t = time.Time{}
		return nil
	}
	*m.t = time.UnixMilli(v.Int64).UTC()
	return nil
}

// durationMs decodes a duration kept in milliseconds: a scan destination
// for a BIGINT duration column (pgtype.Int64Scanner). NULL is zero.
type durationMs struct{ d *time.Duration }

// ScanInt64 implements pgtype.Int64Scanner.
func (m durationMs) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*m.d = 0
		return nil
	}
	*m.d = time.Duration(v.Int64) * time.Millisecond
	return nil
}

// notNullBytes turns a nil slice into an empty one for NOT NULL BYTEA
// columns (pgx sends a nil slice as NULL).
func notNullBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// encodeAttrs encodes user attributes as a JSON object. Strings that are not
// valid UTF-8 are coerced by encoding/json (invalid bytes become U+FFFD); NUL
// and other control characters are escaped, so the result always fits a
// PostgreSQL TEXT column.
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

// attrsCol decodes what encodeAttrs encodes: a scan destination for the
// attributes TEXT column (pgtype.TextScanner). The map it yields is never
// nil.
type attrsCol struct{ m *map[string]string }

// ScanText implements pgtype.TextScanner.
func (a attrsCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		return errors.New("attributes column is NULL")
	}
	m := map[string]string{}
	if v.String != "" {
		if err := json.Unmarshal([]byte(v.String), &m); err != nil {
			return fmt.Errorf("decode attributes: %w", err)
		}
	}
	*a.m = m
	return nil
}

// unstorable reports whether any of the keys cannot be kept in a TEXT
// column: PostgreSQL refuses NUL bytes and invalid UTF-8 (SQLSTATE 22021)
// rather than compare them. Such a key names no record, so the lookups answer
// store.ErrNotFound for it, as store/sqlite does, instead of a driver error.
func unstorable(keys ...string) bool {
	for _, k := range keys {
		if strings.IndexByte(k, 0) >= 0 || !utf8.ValidString(k) {
			return true
		}
	}
	return false
}
