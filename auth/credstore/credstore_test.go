package credstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/cognate-dev/cognate/auth/credstore"
)

var key = credstore.Key{UserPoolID: "us-east-1_AbC123", ClientID: "client1"}

func sampleRecord() credstore.Record {
	return credstore.Record{
		Session: &credstore.Session{
			Username: "alice", LoginID: "alice@example.com", UserSub: "sub-1", AuthFlow: "USER_PASSWORD_AUTH",
			IDToken: "id." + strings.Repeat("i", 1500), AccessToken: "access." + strings.Repeat("a", 1500),
			RefreshToken:         "refresh." + strings.Repeat("r", 1800),
			AccessTokenExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
			SignInMethod:         credstore.SignInMethodHostedUI, PrivateSession: true,
			SignedInAt: time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC),
		},
		Devices: map[string]credstore.Device{
			"alice": {DeviceKey: "us-east-1_dev", DeviceGroupKey: "g", DevicePassword: "p", PasswordVerifier: "v", Salt: "s"},
		},
	}
}

func equalRecords(a, b credstore.Record) bool {
	if (a.Session == nil) != (b.Session == nil) || len(a.Devices) != len(b.Devices) {
		return false
	}
	if a.Session != nil {
		sa, sb := *a.Session, *b.Session
		if !sa.AccessTokenExpiresAt.Equal(sb.AccessTokenExpiresAt) || !sa.SignedInAt.Equal(sb.SignedInAt) {
			return false
		}
		sa.AccessTokenExpiresAt, sb.AccessTokenExpiresAt, sa.SignedInAt, sb.SignedInAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if sa != sb {
			return false
		}
	}
	for k, v := range a.Devices {
		if b.Devices[k] != v {
			return false
		}
	}
	return true
}

// conformance runs the behaviour every Store must have.
func conformance(t *testing.T, s credstore.Store) {
	t.Helper()
	other := credstore.Key{UserPoolID: key.UserPoolID, ClientID: "client2"}

	rec, err := s.Load(key)
	if err != nil || !rec.IsZero() {
		t.Fatalf("empty Load = %v, %v", rec, err)
	}
	want := sampleRecord()
	if err := s.Save(key, want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := s.Load(key)
	if err != nil || !equalRecords(got, want) {
		t.Fatalf("Load after Save = %v, %v", got, err)
	}
	// Keyed by pool + client: another client of the same pool sees nothing.
	if r, err := s.Load(other); err != nil || !r.IsZero() {
		t.Fatalf("other key = %v, %v", r, err)
	}
	// Returned records are copies.
	got.Session.AccessToken = "mutated"
	got.Devices["alice"] = credstore.Device{}
	again, _ := s.Load(key)
	if !equalRecords(again, want) {
		t.Fatal("store shares memory with the caller")
	}
	// Sign-out clears the session and keeps the devices.
	if err := credstore.ClearSession(s, key); err != nil {
		t.Fatalf("ClearSession: %v", err)
	}
	got, err = s.Load(key)
	if err != nil || got.Session != nil || got.Devices["alice"] != want.Devices["alice"] {
		t.Fatalf("after ClearSession = %v, %v", got, err)
	}
	if err := credstore.ClearSession(s, key); err != nil {
		t.Fatalf("second ClearSession: %v", err)
	}
	// Saving a zero record deletes the entry.
	if err := s.Save(key, credstore.Record{}); err != nil {
		t.Fatalf("Save(zero): %v", err)
	}
	if r, err := s.Load(key); err != nil || !r.IsZero() {
		t.Fatalf("after delete = %v, %v", r, err)
	}
	// Keys must be complete.
	if _, err := s.Load(credstore.Key{UserPoolID: "x"}); err == nil {
		t.Fatal("incomplete key accepted")
	}
	// Concurrent use.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sampleRecord()
			r.Session.Username = fmt.Sprint("user", i)
			if err := s.Save(key, r); err != nil {
				t.Error(err)
			}
			if _, err := s.Load(key); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if r, err := s.Load(key); err != nil || r.Session == nil || !strings.HasPrefix(r.Session.Username, "user") {
		t.Fatalf("after concurrent saves = %v, %v", r, err)
	}
	_ = s.Save(key, credstore.Record{})
}

func TestMemory(t *testing.T) { conformance(t, credstore.NewMemory()) }

func TestFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "creds")
	f, err := credstore.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, f)
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %v, %v", st.Mode(), err)
	}
}

func TestFile_ModeSurvivesRestartNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	f, _ := credstore.NewFile(dir)
	want := sampleRecord()
	for range 3 { // overwrite a few times
		if err := f.Save(key, want); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(f.Path(key))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode = %v, %v", st.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want 1 (no temp files left)", len(ents))
	}
	// A new instance (a restarted process) reads it back.
	f2, _ := credstore.NewFile(dir)
	got, err := f2.Load(key)
	if err != nil || !equalRecords(got, want) {
		t.Fatalf("after restart = %v, %v", got, err)
	}
	// Path is per pool + client and safe as a file name.
	odd := credstore.Key{UserPoolID: "../evil", ClientID: "a/b"}
	if p := f.Path(odd); filepath.Dir(p) != f.Dir() {
		t.Fatalf("Path escapes the directory: %s", p)
	}
}

func TestFile_RefusesGroupOrWorldReadable(t *testing.T) {
	dir := t.TempDir()
	f, _ := credstore.NewFile(dir)
	if err := f.Save(key, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(f.Path(key), mode); err != nil {
			t.Fatal(err)
		}
		_, err := f.Load(key)
		var ie *credstore.InsecureFileError
		if !errors.As(err, &ie) || ie.Mode.Perm() != mode || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %#o: Load = %v, want InsecureFileError", mode, err)
		}
		if strings.Contains(err.Error(), "aaaa") {
			t.Fatal("error shows file content")
		}
	}
	os.Chmod(f.Path(key), 0o600)
	if _, err := f.Load(key); err != nil {
		t.Fatalf("0600: %v", err)
	}
}

func TestFile_CorruptFileErrorHasNoContent(t *testing.T) {
	dir := t.TempDir()
	f, _ := credstore.NewFile(dir)
	secret := "eyJsecret-token-material"
	if err := os.WriteFile(f.Path(key), []byte(`{"version":1,"session":{"accessToken":"`+secret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.Load(key)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("Load of a corrupt file = %v", err)
	}
	// A record of another key (a copied file) is refused.
	other := credstore.Key{UserPoolID: "us-east-1_Other", ClientID: "c"}
	if err := f.Save(other, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.Path(other))
	os.WriteFile(f.Path(key), data, 0o600)
	if _, err := f.Load(key); err == nil || !strings.Contains(err.Error(), "belongs to") {
		t.Fatalf("Load of another key's file = %v", err)
	}
}

// A failed Save reports the error and leaves no temporary file behind.
func TestFile_FailedSaveLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	f, _ := credstore.NewFile(dir)
	want := sampleRecord()
	if err := f.Save(key, want); err != nil {
		t.Fatal(err)
	}
	// Make the rename fail (this works as root too, unlike permission tricks):
	// put a non-empty directory where the file goes.
	os.Remove(f.Path(key))
	if err := os.Mkdir(f.Path(key), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.Path(key), "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(key, want); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temp file left behind: %d entries", len(ents))
	}
}

func TestSessionStringRedacts(t *testing.T) {
	r := sampleRecord()
	for _, s := range []string{fmt.Sprint(*r.Session), fmt.Sprintf("%+v", *r.Session), fmt.Sprintf("%#v", r), fmt.Sprint(r.Devices["alice"])} {
		if strings.Contains(s, "aaaa") || strings.Contains(s, "rrrr") || strings.Contains(s, "iiii") || strings.Contains(s, "DevicePassword:\"p\"") {
			t.Fatalf("leak: %s", s)
		}
	}
}

// The keyring tests use go-keyring's in-memory mock provider (no keyring
// service runs in CI); they cannot run in parallel with other keyring tests.
func TestKeyring(t *testing.T) {
	keyring.MockInit()
	k := credstore.NewKeyring("cognate-test")
	conformance(t, k)

	// Large records are chunked: each entry stays under the platform limits.
	if err := k.Save(key, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	gen, n := keyringHeader(t, "cognate-test")
	if n < 2 {
		t.Fatalf("a %d-byte record in %d chunk(s)", 4800, n)
	}
	for i := range n {
		v, err := keyring.Get("cognate-test", fmt.Sprintf("%s#%s.%d", key, gen, i))
		if err != nil || len(v) > 1800 {
			t.Fatalf("chunk %d: %d bytes, %v", i, len(v), err)
		}
	}
	// Overwriting removes the previous generation's chunks.
	if err := k.Save(key, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get("cognate-test", fmt.Sprintf("%s#%s.0", key, gen)); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("old chunk left: %v", err)
	}
	gen2, _ := keyringHeader(t, "cognate-test")
	if err := k.Save(key, credstore.Record{}); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get("cognate-test", key.String()); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("header left: %v", err)
	}
	if _, err := keyring.Get("cognate-test", fmt.Sprintf("%s#%s.0", key, gen2)); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("chunk left after delete: %v", err)
	}
}

func keyringHeader(t *testing.T, service string) (gen string, n int) {
	t.Helper()
	h, err := keyring.Get(service, key.String())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimPrefix(h, "cognate-credstore:v1:"), ":")
	if len(parts) != 2 {
		t.Fatalf("header %q", h)
	}
	fmt.Sscan(parts[1], &n)
	return parts[0], n
}

func TestKeyring_FailingServiceKeepsNothingHalfWritten(t *testing.T) {
	keyring.MockInit()
	k := credstore.NewKeyring("cognate-test-2")
	want := sampleRecord()
	if err := k.Save(key, want); err != nil {
		t.Fatal(err)
	}
	keyring.MockInitWithError(errors.New("keyring locked"))
	if err := k.Save(key, credstore.Record{}); err == nil {
		t.Fatal("Save succeeded on a failing keyring")
	}
	if _, err := k.Load(key); err == nil || !strings.Contains(err.Error(), "keyring locked") {
		t.Fatalf("Load on a failing keyring = %v", err)
	}
}

func TestNewKeyringOrFile(t *testing.T) {
	t.Run("keyring available", func(t *testing.T) {
		keyring.MockInit()
		s, err := credstore.NewKeyringOrFile(credstore.FallbackOptions{Service: "cognate-test-3", Dir: t.TempDir(),
			OnFallback: func(error) { t.Error("fell back although the keyring works") }})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*credstore.Keyring); !ok {
			t.Fatalf("store = %T, want *Keyring", s)
		}
	})
	t.Run("no keyring service", func(t *testing.T) {
		keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
		dir := t.TempDir()
		var reason error
		s, err := credstore.NewKeyringOrFile(credstore.FallbackOptions{Dir: dir, OnFallback: func(e error) { reason = e }})
		if err != nil {
			t.Fatal(err)
		}
		f, ok := s.(*credstore.File)
		if !ok || f.Dir() != dir {
			t.Fatalf("store = %T, want *File in %s", s, dir)
		}
		if reason == nil || !strings.Contains(reason.Error(), "ServiceUnknown") {
			t.Fatalf("fallback reason = %v", reason)
		}
		conformance(t, s)
	})
}

// Atomic replacement: a reader never sees a half-written file, even from a
// separate File instance (as another process would be).
func TestFile_ReadersNeverSeePartialWrites(t *testing.T) {
	dir := t.TempDir()
	w, _ := credstore.NewFile(dir)
	r, _ := credstore.NewFile(dir)
	if err := w.Save(key, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			rec, err := r.Load(key)
			if err != nil || rec.Session == nil {
				done <- fmt.Errorf("reader saw %v, %v", rec.Session, err)
				return
			}
		}
	}()
	for i := range 200 {
		rec := sampleRecord()
		rec.Session.AccessToken = strings.Repeat("x", 100+(i%7)*3000)
		if err := w.Save(key, rec); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
