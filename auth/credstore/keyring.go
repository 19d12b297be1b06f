package credstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultKeyringService is the keyring service name used when none is given.
const DefaultKeyringService = "cognate-auth"

// keyringChunk is the most bytes one keyring entry holds. macOS limits service +
// account + secret to about 3000 bytes and Windows a secret to 2560, while a
// Cognito session (three tokens) is often larger: records are split into chunks.
const keyringChunk = 1800

// DefaultKeyringTimeout bounds one keyring operation. A keyring service that
// does not answer (a locked keyring waiting on a prompt, a dead D-Bus) makes
// the operation fail rather than hang the caller.
const DefaultKeyringTimeout = 10 * time.Second

// Keyring is a Store in the operating system's credential service (macOS
// Keychain, Windows Credential Manager, the freedesktop Secret Service on Linux
// and BSD) through github.com/zalando/go-keyring.
//
// A record is kept as a header entry named after the key plus numbered chunk
// entries; Save writes a new generation of chunks before switching the header,
// so an interrupted Save leaves the previous record readable.
type Keyring struct {
	service string
	timeout time.Duration
	mu      sync.Mutex
}

// NewKeyring returns a store in the OS keyring under service (DefaultKeyringService
// when empty). It does not check that a keyring service runs: use ProbeKeyring or
// NewKeyringOrFile for that.
func NewKeyring(service string) *Keyring {
	if service == "" {
		service = DefaultKeyringService
	}
	return &Keyring{service: service, timeout: DefaultKeyringTimeout}
}

// ErrKeyringTimeout is returned when the keyring service does not answer in time.
var ErrKeyringTimeout = errors.New("credstore: the OS keyring did not answer in time")

// withTimeout runs fn, giving up after d (fn keeps running in the background:
// go-keyring calls cannot be cancelled).
func withTimeout[T any](d time.Duration, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, ErrKeyringTimeout
	}
}

func (k *Keyring) get(user string) (string, error) {
	return withTimeout(k.timeout, func() (string, error) { return keyring.Get(k.service, user) })
}

func (k *Keyring) set(user, secret string) error {
	_, err := withTimeout(k.timeout, func() (struct{}, error) { return struct{}{}, keyring.Set(k.service, user, secret) })
	return err
}

func (k *Keyring) del(user string) error {
	_, err := withTimeout(k.timeout, func() (struct{}, error) { return struct{}{}, keyring.Delete(k.service, user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

const headerPrefix = "cognate-credstore:v1:"

type header struct {
	gen string
	n   int
}

func parseHeader(s string) (header, error) {
	rest, ok := strings.CutPrefix(s, headerPrefix)
	if !ok {
		return header{}, errors.New("unrecognised header")
	}
	gen, count, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 || n > 1000 || gen == "" {
		return header{}, errors.New("malformed header")
	}
	return header{gen: gen, n: n}, nil
}

func (h header) String() string { return headerPrefix + h.gen + ":" + strconv.Itoa(h.n) }

func chunkUser(key Key, gen string, i int) string {
	return key.String() + "#" + gen + "." + strconv.Itoa(i)
}

// Load implements Store.
func (k *Keyring) Load(key Key) (Record, error) {
	if err := key.Validate(); err != nil {
		return Record{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h, found, err := k.header(key)
	if err != nil || !found {
		return Record{}, err
	}
	var b strings.Builder
	for i := range h.n {
		part, err := k.get(chunkUser(key, h.gen, i))
		if err != nil {
			return Record{}, fmt.Errorf("credstore: keyring entry %s is incomplete: %w", key, err)
		}
		b.WriteString(part)
	}
	return decode(key, []byte(b.String()), "keyring entry "+key.String())
}

func (k *Keyring) header(key Key) (header, bool, error) {
	raw, err := k.get(key.String())
	if errors.Is(err, keyring.ErrNotFound) {
		return header{}, false, nil
	}
	if err != nil {
		return header{}, false, fmt.Errorf("credstore: keyring: %w", err)
	}
	h, err := parseHeader(raw)
	if err != nil {
		return header{}, false, fmt.Errorf("credstore: keyring entry %s: %w", key, err)
	}
	return h, true, nil
}

// Save implements Store.
func (k *Keyring) Save(key Key, rec Record) error {
	if err := key.Validate(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	old, hadOld, err := k.header(key)
	if err != nil {
		// An unreadable header is replaced; its chunks are left behind.
		hadOld = false
	}
	if rec.IsZero() {
		if err := k.del(key.String()); err != nil {
			return fmt.Errorf("credstore: keyring: %w", err)
		}
		if hadOld {
			k.deleteChunks(key, old)
		}
		return nil
	}
	data, err := encode(key, rec)
	if err != nil {
		return fmt.Errorf("credstore: encoding record: %w", err)
	}
	var genBytes [6]byte
	if _, err := rand.Read(genBytes[:]); err != nil {
		return fmt.Errorf("credstore: %w", err)
	}
	h := header{gen: hex.EncodeToString(genBytes[:])}
	s := string(data)
	for start := 0; start < len(s); start += keyringChunk {
		end := min(start+keyringChunk, len(s))
		if err := k.set(chunkUser(key, h.gen, h.n), s[start:end]); err != nil {
			k.deleteChunks(key, h)
			return fmt.Errorf("credstore: keyring: %w", err)
		}
		h.n++
	}
	if err := k.set(key.String(), h.String()); err != nil {
		k.deleteChunks(key, h)
		return fmt.Errorf("credstore: keyring: %w", err)
	}
	if hadOld {
		k.deleteChunks(key, old)
	}
	return nil
}

// deleteChunks removes a generation's chunks, best effort.
func (k *Keyring) deleteChunks(key Key, h header) {
	for i := range h.n {
		_ = k.del(chunkUser(key, h.gen, i))
	}
}

// ProbeKeyring checks that a keyring service runs and accepts a write, a read and
// a delete under service within timeout (DefaultKeyringTimeout when zero).
func ProbeKeyring(service string, timeout time.Duration) error {
	if service == "" {
		service = DefaultKeyringService
	}
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	user := "probe-" + hex.EncodeToString(nonce[:])
	want := hex.EncodeToString(nonce[:])
	_, err := withTimeout(timeout, func() (struct{}, error) {
		if err := keyring.Set(service, user, want); err != nil {
			return struct{}{}, err
		}
		got, err := keyring.Get(service, user)
		_ = keyring.Delete(service, user)
		if err != nil {
			return struct{}{}, err
		}
		if got != want {
			return struct{}{}, errors.New("the keyring returned a different value than was stored")
		}
		return struct{}{}, nil
	})
	if err != nil {
		return fmt.Errorf("credstore: no usable OS keyring: %w", err)
	}
	return nil
}

// FallbackOptions configures NewKeyringOrFile.
type FallbackOptions struct {
	// Service is the keyring service name (DefaultKeyringService when empty).
	Service string
	// Dir is the file store's directory (DefaultDir when empty).
	Dir string
	// ProbeTimeout bounds the keyring probe (DefaultKeyringTimeout when zero).
	ProbeTimeout time.Duration
	// OnFallback, when set, is called with the probe's error when the file store
	// is chosen, so the caller can tell the user why.
	OnFallback func(reason error)
}

// NewKeyringOrFile returns a *Keyring store when ProbeKeyring succeeds, and
// otherwise a *File store (0600 files) in opts.Dir.
func NewKeyringOrFile(opts FallbackOptions) (Store, error) {
	probeErr := ProbeKeyring(opts.Service, opts.ProbeTimeout)
	if probeErr == nil {
		k := NewKeyring(opts.Service)
		if opts.ProbeTimeout > 0 {
			k.timeout = max(k.timeout, opts.ProbeTimeout)
		}
		return k, nil
	}
	dir := opts.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	f, err := NewFile(dir)
	if err != nil {
		return nil, err
	}
	if opts.OnFallback != nil {
		opts.OnFallback(probeErr)
	}
	return f, nil
}
