package server

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseAdminCredentials(t *testing.T) {
	got, err := ParseAdminCredentials("# comment\n a:b , c:d:e\r\n\n,f:g/h+i\n#x:y\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "b", "c": "d:e", "f": "g/h+i"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := ParseAdminCredentials(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"nocolon-SECRETVALUE", ":SECRETVALUE", "id:", "a:SECRETVALUE,a:SECRETVALUE2"} {
		_, err := ParseAdminCredentials(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("%q: error shows the secret: %v", bad, err)
		}
	}
}

func TestLoadAdminCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "creds")
	if err := os.WriteFile(path, []byte("k1:s1\nk2:s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		got, err := LoadAdminCredentialsFile(path)
		if err != nil || len(got) != 2 || got["k2"] != "s2" {
			t.Fatalf("mode %04o: %v %v", mode, got, err)
		}
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o610, 0o601, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadAdminCredentialsFile(path)
		if err == nil || !strings.Contains(err.Error(), "group or others") || !strings.Contains(err.Error(), path) {
			t.Fatalf("mode %04o: %v", mode, err)
		}
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAdminCredentialsFile(empty); err == nil || !strings.Contains(err.Error(), "no ACCESS_KEY_ID:SECRET") {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := LoadAdminCredentialsFile(dir); err == nil {
		t.Fatal("a directory was accepted")
	}
	if _, err := LoadAdminCredentialsFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
